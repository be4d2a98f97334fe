import { ConfigError, loadConfig } from '../config/load.js'
import { readCaFile } from '../config/ca-file.js'
import { validateRouter } from '../routeros/validate.js'
import { ListenError, serve } from '../server.js'
import { DataFolderLockedError } from '../store/data-folder-lock.js'
import { callApi, callApiText, CliError, type ClientOptions } from './client.js'
import { tokenCommand } from './token-commands.js'

type Values = Record<string, string | boolean | undefined>

export interface Command {
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>
  run(values: Values, positionals: string[]): Promise<number>
}

const serverOptions = {
  server: { type: 'string' },
  config: { type: 'string' },
} as const

// Options of the client commands that can print JSON.
const clientOptions = { ...serverOptions, json: { type: 'boolean' } } as const

function client(values: Values): ClientOptions {
  return { server: values.server as string | undefined, config: values.config as string | undefined }
}

function expectPositionals(positionals: string[], names: string[], usage: string): string[] {
  if (positionals.length !== names.length) {
    const expected = names.length === 0 ? 'no arguments' : names.join(' and ')
    throw new CliError(`expected ${expected}, got ${positionals.length === 0 ? 'none' : positionals.map((value) => JSON.stringify(value)).join(' ')}; usage: ${usage}`, 2)
  }
  return positionals
}

interface KnocReply {
  name: string
  mode: string
  addressList: string
  activeGrants: number
  source: string
}

// Prints rows under a header, each column as wide as its widest cell.
function printTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  for (const row of [header, ...rows]) {
    process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`)
  }
}

interface GrantReply {
  id: string
  knoc: string
  address: string
  user: string | null
  comment: string | null
  createdAt: string
  expiresAt: string
}

export const commands: Record<string, Command> = {
  token: tokenCommand,
  serve: {
    options: { config: { type: 'string' } },
    async run(values) {
      try {
        await serve({ configFile: values.config as string | undefined })
      } catch (error) {
        if (error instanceof ConfigError || error instanceof ListenError || error instanceof DataFolderLockedError) throw new CliError(`${error.message}\nknocklist did not start.`)
        throw error
      }
      return 0
    },
  },

  'check-config': {
    options: { config: { type: 'string' } },
    async run(values) {
      try {
        const loaded = loadConfig({ file: values.config as string | undefined })
        const knocs = loaded.config.knocs?.length ?? (loaded.file === undefined ? 1 : 0)
        process.stdout.write(`${loaded.file ?? 'built-in defaults'}: valid, ${knocs} knoc${knocs === 1 ? '' : 's'}\n`)
        return 0
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.message}\n`)
          return 1
        }
        throw error
      }
    },
  },

  grant: {
    options: { ...clientOptions, ttl: { type: 'string' }, user: { type: 'string' }, comment: { type: 'string' } },
    async run(values, positionals) {
      const [knoc, address] = expectPositionals(positionals, ['KNOC', 'ADDRESS'], 'knocklist grant KNOC ADDRESS [--ttl DURATION] [--user NAME] [--comment TEXT]')
      const body = {
        address,
        ...(values.ttl === undefined ? {} : { ttl: values.ttl }),
        ...(values.user === undefined ? {} : { user: values.user }),
        ...(values.comment === undefined ? {} : { comment: values.comment }),
      }
      const grant = (await callApi(client(values), 'POST', `/v1/knocs/${encodeURIComponent(knoc!)}/grants`, body)) as GrantReply
      process.stdout.write(values.json ? `${JSON.stringify(grant)}\n` : `granted ${grant.address} on ${grant.knoc} until ${grant.expiresAt} (grant ${grant.id})\n`)
      return 0
    },
  },

  revoke: {
    options: serverOptions,
    async run(values, positionals) {
      const [id] = expectPositionals(positionals, ['GRANT_ID'], 'knocklist revoke GRANT_ID')
      await callApi(client(values), 'DELETE', `/v1/grants/${encodeURIComponent(id!)}`)
      process.stdout.write(`revoked grant ${id}\n`)
      return 0
    },
  },

  knocs: {
    options: clientOptions,
    async run(values, positionals) {
      expectPositionals(positionals, [], 'knocklist knocs')
      const { knocs } = (await callApi(client(values), 'GET', '/v1/knocs')) as { knocs: KnocReply[] }
      if (values.json) {
        process.stdout.write(`${JSON.stringify(knocs)}\n`)
        return 0
      }
      const rows = knocs.map((knoc) => [knoc.name, knoc.mode, knoc.addressList, String(knoc.activeGrants), knoc.source])
      printTable(['NAME', 'MODE', 'LIST', 'GRANTS', 'SOURCE'], rows)
      return 0
    },
  },

  grants: {
    options: clientOptions,
    async run(values, positionals) {
      const [knoc] = expectPositionals(positionals, ['KNOC'], 'knocklist grants KNOC')
      const { grants } = (await callApi(client(values), 'GET', `/v1/knocs/${encodeURIComponent(knoc!)}/grants`)) as { grants: GrantReply[] }
      if (values.json) {
        process.stdout.write(`${JSON.stringify(grants)}\n`)
        return 0
      }
      if (grants.length === 0) {
        process.stdout.write(`no active grants on ${knoc}\n`)
        return 0
      }
      const rows = grants.map((grant) => [grant.id, grant.address, grant.expiresAt, grant.user ?? '-', grant.comment ?? ''])
      printTable(['ID', 'ADDRESS', 'EXPIRES', 'USER', 'COMMENT'], rows)
      return 0
    },
  },

  validate: {
    options: {
      url: { type: 'string' },
      username: { type: 'string' },
      list: { type: 'string' },
      'password-env': { type: 'string' },
      insecure: { type: 'boolean' },
      ca: { type: 'string' },
      fingerprint: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values) {
      const usage = 'knocklist validate --url URL --username NAME --list LIST [--password-env VAR] [--insecure] [--ca FILE] [--fingerprint SHA256]'
      for (const required of ['url', 'username', 'list'] as const) {
        if (typeof values[required] !== 'string' || values[required] === '') throw new CliError(`--${required} is required; usage: ${usage}`, 2)
      }

      let host: string
      try {
        host = new URL(values.url as string).host
      } catch {
        throw new CliError(`invalid --url ${JSON.stringify(values.url)}: use https://HOST or https://HOST:PORT`, 2)
      }

      // The password comes from an environment variable so it never appears
      // in the process list or the shell history.
      const passwordVariable = (values['password-env'] as string | undefined) ?? 'ROUTER_PASSWORD'
      const password = process.env[passwordVariable]
      if (password === undefined || password === '') {
        throw new CliError(`environment variable ${passwordVariable} is not set; export the router password in it, or name another variable with --password-env`, 2)
      }

      let ca: string | undefined
      if (typeof values.ca === 'string') {
        try {
          ca = readCaFile(values.ca)
        } catch (error) {
          throw new CliError(`invalid --ca: ${(error as Error).message}`, 2)
        }
      }

      const result = await validateRouter(
        {
          name: host,
          url: values.url as string,
          username: values.username as string,
          password,
          insecure: values.insecure === true,
          ...(ca === undefined ? {} : { ca }),
          ...(typeof values.fingerprint === 'string' ? { fingerprint: values.fingerprint } : {}),
        },
        values.list as string,
      )

      if (values.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`)
        return result.ok ? 0 : 1
      }
      for (const check of result.checks) {
        process.stdout.write(check.ok ? `ok      ${check.check}${check.message ? `: ${check.message}` : ''}\n` : `FAILED  ${check.check}: ${check.code} ${check.message}\n        see ${check.docs}\n`)
      }
      if (result.fingerprint !== undefined) process.stdout.write(`router certificate SHA-256: ${result.fingerprint}\n`)
      process.stdout.write(result.ok ? 'all checks passed\n' : 'validation failed\n')
      return result.ok ? 0 : 1
    },
  },

  audit: {
    options: { ...clientOptions, knoc: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' } },
    async run(values) {
      const query = new URLSearchParams()
      for (const name of ['knoc', 'since', 'until', 'limit'] as const) {
        if (typeof values[name] === 'string') query.set(name, values[name] as string)
      }
      const { records } = (await callApi(client(values), 'GET', `/v1/audit${query.size > 0 ? `?${query}` : ''}`)) as {
        records: Array<{ at: string; action: string; actor: string | null; knoc: string | null; address: string | null; clientAddress: string | null; detail: unknown }>
      }
      if (values.json) {
        process.stdout.write(`${JSON.stringify(records)}\n`)
        return 0
      }
      if (records.length === 0) {
        process.stdout.write('no audit records match\n')
        return 0
      }
      const rows = records.map((record) => [
        record.at,
        record.action,
        record.knoc ?? '-',
        record.address ?? '-',
        record.clientAddress ?? '-',
        record.actor ?? '-',
        record.detail ? JSON.stringify(record.detail) : '',
      ])
      printTable(['TIME', 'ACTION', 'KNOC', 'ADDRESS', 'CLIENT', 'ACTOR', 'DETAIL'], rows)
      return 0
    },
  },

  'routeros-script': {
    options: serverOptions,
    async run(values, positionals) {
      const [knoc] = expectPositionals(positionals, ['KNOC'], 'knocklist routeros-script KNOC')
      const script = await callApiText(client(values), `/v1/knocs/${encodeURIComponent(knoc!)}/routeros/setup.rsc`)
      process.stdout.write(script)
      // The script's warnings also go to stderr, where they are seen when
      // stdout goes to a file.
      for (const line of script.split('\n')) {
        if (line.startsWith('# WARNING:')) process.stderr.write(`knocklist: ${line.slice(2)}\n`)
      }
      return 0
    },
  },
}
