import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseDocument } from 'yaml'
import { caFileProblem } from './ca-file.js'
import type { z } from 'zod'
import { configSchema, type Config } from './schema.js'

export class ConfigError extends Error {
  readonly problems: readonly string[]

  constructor(source: string, problems: string[]) {
    super(`invalid configuration in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export interface LoadedConfig {
  config: Config
  // The file the config came from, or undefined for the built-in defaults.
  file: string | undefined
}

const secretKeys = /password|token|secret|key$/i

function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  let text = ''
  for (const segment of segments) {
    text += typeof segment === 'number' ? `[${segment}]` : `${text === '' ? '' : '.'}${String(segment)}`
  }
  return text === '' ? '(top level)' : text
}

// Replaces `${VAR}` in every string value from the environment; `$${VAR}`
// stays as the literal text `${VAR}`. Substitution happens after YAML parsing,
// so a variable's value can never change the structure of the file.
function substituteEnvironment(value: unknown, env: NodeJS.ProcessEnv, keyPath: PropertyKey[], problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(\$?)\{([^}]*)\}/g, (match, escaped: string, name: string) => {
      if (escaped === '$') return match.slice(1)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problems.push(`${formatPath(keyPath)}: "\${${name}}" is not a valid environment variable reference; use \${NAME} with letters, digits and underscores`)
        return match
      }
      const replacement = env[name]
      if (replacement === undefined) {
        problems.push(`${formatPath(keyPath)}: environment variable ${name} is not set; export it before starting knocklist or write the value into the file`)
        return ''
      }
      return replacement
    })
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteEnvironment(item, env, [...keyPath, index], problems))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnvironment(item, env, [...keyPath, key], problems)]),
    )
  }
  return value
}

// Names a type zod expected with its article, in words a config author uses.
function expectedType(expected: string): string {
  if (expected === 'int') return 'an integer'
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path)
  const last = issue.path.at(-1)
  const isSecret = typeof last === 'string' && secretKeys.test(last)
  let text = `${where}: ${issue.message}`
  // zod's own wording ("Invalid input: expected number, received string")
  // names no fix; these messages state what the key needs.
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    const expected = expectedType(issue.expected)
    text = 'input' in issue && issue.input === undefined ? `${where}: missing; add it (${expected})` : `${where}: must be ${expected}`
  } else if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'number' && /^Too (big|small)/.test(issue.message)) {
    const limit = issue.code === 'too_big' ? issue.maximum : issue.minimum
    text = `${where}: must be ${issue.code === 'too_big' ? 'at most' : 'at least'} ${String(limit)}${issue.inclusive === false ? ' (exclusive)' : ''}`
  }
  if (issue.code === 'unrecognized_keys') {
    text = `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; remove or rename ${issue.keys.length > 1 ? 'them' : 'it'} (check the spelling against the documented config)`
  } else if ('input' in issue && issue.input !== undefined && !isSecret && issue.code !== 'custom') {
    text += ` (got ${JSON.stringify(issue.input)})`
  }
  return text
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}

function resolvePaths(config: Config, baseDir: string): Config {
  const resolve = (file: string) => path.resolve(baseDir, file)
  return {
    ...config,
    dataDir: resolve(config.dataDir),
    server: {
      ...config.server,
      tls: config.server.tls && { cert: resolve(config.server.tls.cert), key: resolve(config.server.tls.key) },
    },
    knocs: config.knocs?.map((knoc) => ({
      ...knoc,
      routers: knoc.routers.map((router) => ({ ...router, ca: router.ca && resolve(router.ca) })),
    })),
  }
}

// Validates a parsed config object, returning the frozen config or every
// problem found. Relative paths are resolved against baseDir.
export function parseConfig(raw: unknown, options: { source: string; baseDir: string; env?: NodeJS.ProcessEnv }): Config {
  const problems: string[] = []
  const substituted = substituteEnvironment(raw ?? {}, options.env ?? process.env, [], problems)
  const result = configSchema.safeParse(substituted, { reportInput: true })
  if (!result.success) {
    // A key whose variable is missing is already reported; its empty
    // stand-in value would only add a second, misleading problem.
    const reported = new Set(problems.map((problem) => problem.slice(0, problem.indexOf(': '))))
    problems.push(...result.error.issues.filter((issue) => !reported.has(formatPath(issue.path))).map(describeIssue))
  }
  problems.push(...duplicateNameProblems(substituted))
  if (problems.length > 0 || !result.success) throw new ConfigError(options.source, problems)
  const resolved = resolvePaths(result.data, options.baseDir)
  resolved.knocs?.forEach((knoc, knocIndex) => {
    knoc.routers.forEach((router, routerIndex) => {
      const problem = router.ca === undefined ? undefined : caFileProblem(router.ca)
      if (problem !== undefined) problems.push(`knocs[${knocIndex}].routers[${routerIndex}].ca: ${problem}`)
    })
  })
  if (problems.length > 0) throw new ConfigError(options.source, problems)
  return deepFreeze(resolved)
}

// Reports knoc and admin token names used twice. It reads the raw input, so
// it runs even when other keys are invalid, unlike a refinement of the
// schema, which zod skips once a field has failed.
function duplicateNameProblems(raw: unknown): string[] {
  const problems: string[] = []
  const check = (key: string, describe: (name: string) => string) => {
    const entries = (raw as Record<string, unknown> | null)?.[key]
    if (!Array.isArray(entries)) return
    const seen = new Set<string>()
    entries.forEach((entry, index) => {
      const name = (entry as { name?: unknown } | null)?.name
      if (typeof name !== 'string') return
      if (seen.has(name)) problems.push(`${key}[${index}].name: ${describe(name)}`)
      seen.add(name)
    })
  }
  check('knocs', (name) => `knoc name ${JSON.stringify(name)} is declared twice; give each knoc its own name`)
  check('adminTokens', (name) => `token name ${JSON.stringify(name)} is used twice; give each admin token its own name`)
  return problems
}

// Reads and validates a YAML config file.
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message
    throw new ConfigError(file, [`cannot read the config file: ${reason}; check the --config path`])
  }

  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (document.errors.length > 0) {
    // The first line of the yaml message ends with ":" before a code excerpt.
    throw new ConfigError(file, document.errors.map((error) => `YAML syntax: ${error.message.split('\n')[0]!.replace(/:\s*$/, '')}; fix the file at that place`))
  }
  return parseConfig(document.toJS(), { source: file, baseDir: path.dirname(path.resolve(file)), env })
}

// Loads the config the way `serve` and `check-config` do: the named file, else
// ./knocklist.yaml when it exists, else the built-in defaults.
export function loadConfig(options: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  if (options.file !== undefined) {
    const file = path.resolve(cwd, options.file)
    return { config: loadConfigFile(file, env), file }
  }
  const implicit = path.join(cwd, 'knocklist.yaml')
  try {
    readFileSync(implicit)
    return { config: loadConfigFile(implicit, env), file: implicit }
  } catch (error) {
    if (error instanceof ConfigError || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return { config: parseConfig({}, { source: 'built-in defaults', baseDir: cwd, env }), file: undefined }
}
