#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { version } from '../version.js'
import { CliError } from './client.js'
import { commands } from './commands.js'
import { commandHelp } from './help.js'

const usage = `Usage: knocklist <command> [options]

Commands:
  serve [--config FILE]                        run the server
  grant KNOC ADDRESS [--ttl DURATION] [--user NAME] [--comment TEXT]
                                               grant ADDRESS access to KNOC
  revoke GRANT_ID                              revoke a grant
  grants KNOC                                  list the active grants of KNOC
  knocs                                        list the knocs
  validate --url URL --username NAME --list LIST [--password-env VAR]
           [--insecure] [--ca FILE] [--fingerprint SHA256]
                                               check a RouterOS connection
  routeros-script KNOC                         print the RouterOS setup script
  audit [--knoc KNOC] [--since TIME] [--until TIME] [--limit N]
                                               read the audit trail, newest first
  token create NAME | token list | token revoke NAME [--config FILE]
                                               manage admin tokens in the store
  check-config [--config FILE]                 validate a config file

Client commands reach the server at --server URL or KNOCKLIST_URL
(default http://127.0.0.1:8080) with the token in KNOCKLIST_TOKEN or the
admin-token file of the data folder.

Options:
  --version    print the version
  --help       print this help`

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`)
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version}\n`)
    return 0
  }
  const command = commands[name]
  if (command === undefined || !Object.hasOwn(commands, name)) {
    throw new CliError(`unknown command ${JSON.stringify(name)}; run knocklist --help for the list`, 2)
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp[name] ?? usage}\n`)
    return 0
  }

  // The command's usage line is enough after an error, which names --help.
  const usageLine = commandHelp[name]?.split('\n')[0] ?? usage
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: command.options as ParseArgsConfig['options'], allowPositionals: true, strict: true, tokens: true })
  } catch (error) {
    throw new CliError(`${describeArgumentError(error as Error, name, rest)}\n${usageLine}`, 2)
  }
  // parseArgs keeps the last of a repeated option, which would hide a typo
  // such as two --ttl values.
  const seen = new Set<string>()
  // The options are cast above, so TypeScript does not know option tokens.
  for (const token of parsed.tokens as unknown as Array<{ kind: string; name?: string }>) {
    if (token.kind !== 'option' || token.name === undefined) continue
    if (seen.has(token.name)) throw new CliError(`option --${token.name} is given more than once; give it once\n${usageLine}`, 2)
    seen.add(token.name)
  }
  return command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals)
}

// Rewords Node's parseArgs errors into the option, the value and the fix,
// because some of Node's hints (such as "place it after --") do not apply here.
function describeArgumentError(error: Error, command: string, args: readonly string[]): string {
  const option = /Option '(-[^' ]+)/.exec(error.message)?.[1] ?? /Unknown option '([^']+)'/.exec(error.message)?.[1]
  if (option === undefined) return error.message
  if (error.message.includes('ambiguous')) {
    // The option may be given more than once; the offending one is followed by a dash.
    const position = args.findIndex((arg, index) => arg === option && args[index + 1]?.startsWith('-') === true)
    const value = args[position + 1] ?? ''
    if (/^--?[A-Za-z]/.test(value)) return `option ${option} needs a value, but the next argument is the option ${value}; give ${option} its value first`
    if (option === '--ttl') return `option --ttl: ${JSON.stringify(value)} is negative; a grant time must be positive, such as --ttl 5m`
    return `option ${option}: the value ${JSON.stringify(value)} starts with a dash, so it reads as another option; write ${option}=${value} to pass it as the value`
  }
  if (error.message.includes('argument missing')) return `option ${option} needs a value; run knocklist ${command} --help for its form`
  if (error.message.includes('does not take an argument')) return `option ${option} takes no value; write ${option.split('=')[0]} alone`
  if (error.message.startsWith('Unknown option')) return `unknown option ${option} for ${command}; run knocklist ${command} --help for the options`
  return error.message
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`knocklist: ${error.message}\n`)
      process.exitCode = error.exitCode
      return
    }
    process.stderr.write(`knocklist: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 1
  },
)
