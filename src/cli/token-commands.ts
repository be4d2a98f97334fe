import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { ConfigError, loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { adminTokenFileName, generatedAdminTokenName, hashAdminToken } from '../secrets.js'
import { AdminTokenStore } from '../store/admin-token-store.js'
import { openDatabase } from '../store/database.js'
import { CliError } from './client.js'
import type { Command } from './commands.js'

const usage = 'knocklist token create NAME | knocklist token list | knocklist token revoke NAME   [--config FILE]'
const tokenNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

// Opens the store in the data folder of the config that `serve` would use,
// runs the action and closes the store again.
function withTokenStore<T>(configFile: string | undefined, action: (store: AdminTokenStore, config: Config) => T): T {
  let config: Config
  try {
    config = loadConfig({ file: configFile }).config
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message)
    throw error
  }
  const database = openDatabase(config.dataDir)
  try {
    return action(new AdminTokenStore(database), config)
  } finally {
    database.close()
  }
}

function requireName(positionals: string[], subcommand: string): string {
  if (positionals.length !== 2) throw new CliError(`expected NAME; usage: knocklist token ${subcommand} NAME [--config FILE]`, 2)
  const name = positionals[1]!
  if (!tokenNamePattern.test(name)) {
    throw new CliError(`invalid token name ${JSON.stringify(name)}: use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit`, 2)
  }
  return name
}

function create(configFile: string | undefined, name: string): number {
  // 32 random bytes: far beyond guessing, which is what makes a fast hash safe.
  const token = randomBytes(32).toString('base64url')
  withTokenStore(configFile, (store, config) => {
    if (name === generatedAdminTokenName) {
      throw new CliError(`token name "${generatedAdminTokenName}" is kept for the token generated on first start; choose another name`)
    }
    if (config.adminTokens.some((entry) => entry.name === name)) {
      throw new CliError(`token name ${JSON.stringify(name)} is declared in the config file; choose another name`)
    }
    if (!store.create(name, hashAdminToken(token), Date.now())) {
      throw new CliError(`an admin token named ${JSON.stringify(name)} already exists; revoke it first or choose another name`)
    }
  })
  // The token goes alone to stdout so scripts can capture it; only its hash is stored.
  process.stderr.write(`created admin token ${JSON.stringify(name)}; it is shown only now and cannot be recovered, so store it safely\n`)
  process.stdout.write(`${token}\n`)
  return 0
}

function list(configFile: string | undefined, json: boolean): number {
  const rows = withTokenStore(configFile, (store, config) => [
    ...config.adminTokens.map((entry) => ({ name: entry.name, createdAt: null as string | null, source: 'config' })),
    ...store.list().map((entry) => ({ name: entry.name, createdAt: new Date(entry.createdAt).toISOString(), source: entry.name === generatedAdminTokenName ? 'generated' : 'store' })),
  ])
  if (json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`)
    return 0
  }
  if (rows.length === 0) {
    process.stdout.write('no admin tokens; the next "knocklist serve" generates one\n')
    return 0
  }
  const cells = rows.map((row) => [row.name, row.createdAt ?? '-', row.source])
  const header = ['NAME', 'CREATED', 'SOURCE']
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]!.length)))
  for (const row of [header, ...cells]) {
    process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`)
  }
  return 0
}

function revoke(configFile: string | undefined, name: string): number {
  withTokenStore(configFile, (store, config) => {
    if (config.adminTokens.some((entry) => entry.name === name)) {
      throw new CliError(`admin token ${JSON.stringify(name)} is declared in the config file; remove it there and restart knocklist`)
    }
    if (!store.remove(name)) throw new CliError(`no admin token named ${JSON.stringify(name)}; list them with: knocklist token list`)
    // The generated token would come back from its file at the next start;
    // removing the file makes the revocation stick.
    if (name === generatedAdminTokenName) rmSync(path.join(config.dataDir, adminTokenFileName), { force: true })
  })
  process.stdout.write(`revoked admin token ${JSON.stringify(name)}\n`)
  return 0
}

// `knocklist token create|list|revoke`: manages admin tokens in the store of
// the data folder directly, so it works whether or not the server runs.
export const tokenCommand: Command = {
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    const configFile = values.config as string | undefined
    const subcommand = positionals[0]
    switch (subcommand) {
      case 'create':
        return create(configFile, requireName(positionals, 'create'))
      case 'list':
        if (positionals.length !== 1) throw new CliError(`token list takes no arguments; usage: ${usage}`, 2)
        return list(configFile, values.json === true)
      case 'revoke':
        return revoke(configFile, requireName(positionals, 'revoke'))
      default:
        throw new CliError(`${subcommand === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(subcommand)}`}: use create, list or revoke; usage: ${usage}`, 2)
    }
  },
}
