import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import Database from 'better-sqlite3'
import t from 'tap'
import { CliError } from '../src/cli/client.js'
import { tokenCommand } from '../src/cli/token-commands.js'
import { ConfigError, parseConfig } from '../src/config/load.js'
import { hashAdminToken } from '../src/secrets.js'
import { buildTestApp, temporaryDirectory } from './helpers/app.js'
import { runCli } from './helpers/process.js'

const configToken = 'config-admin-token-0123456789abcdef'
const hashedToken = 'hashed-admin-token-0123456789abcdef'

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`
}

function storedTokens(dataDir: string): Array<{ name: string; hash: string; created_at: number }> {
  const db = new Database(path.join(dataDir, 'knocklist.db'), { readonly: true })
  try {
    return db.prepare('SELECT name, hash, created_at FROM admin_tokens ORDER BY name').all() as Array<{ name: string; hash: string; created_at: number }>
  } finally {
    db.close()
  }
}

t.test('tokenHash in the config authenticates', async (t) => {
  const testApp = await buildTestApp(t, { adminTokens: [{ name: 'hashed', tokenHash: sha256(hashedToken).toUpperCase().replace('SHA256', 'sha256') }] })
  const good = await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: `Bearer ${hashedToken}` } })
  t.equal(good.statusCode, 200, 'the token whose hash is configured is accepted')
  const hashAsToken = await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: `Bearer ${sha256(hashedToken)}` } })
  t.equal(hashAsToken.statusCode, 401, 'the hash itself is not a token')
})

t.test('token lookup store failure is 503', async (t) => {
  const testApp = await buildTestApp(t)
  // A dropped table makes the store lookup fail as a damaged file would.
  testApp.runtime.database.exec('DROP TABLE admin_tokens')
  const unknown = await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: 'Bearer not-a-configured-token-0123456789' } })
  t.equal(unknown.statusCode, 503, 'a token that needs the store lookup gets 503')
  t.equal(unknown.json().code, 'KNL_STORE_UNAVAILABLE', 'code KNL_STORE_UNAVAILABLE')
  t.match(unknown.json().message, 'retry', 'the message says to retry')
  const configured = await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: testApp.auth })
  t.equal(configured.statusCode, 200, 'a token from the config still works')
})

t.test('adminTokens entry needs exactly one form', async (t) => {
  const parse = (entry: Record<string, unknown>) => parseConfig({ adminTokens: [entry] }, { source: 'test', baseDir: '/tmp', env: {} })
  t.throws(() => parse({ name: 'both', token: configToken, tokenHash: sha256(configToken) }), ConfigError, 'token and tokenHash together are rejected')
  t.throws(() => parse({ name: 'neither' }), ConfigError, 'an entry without either is rejected')
  try {
    parse({ name: 'bad', tokenHash: 'md5:abc' })
    t.fail('a malformed tokenHash is accepted')
  } catch (error) {
    t.match((error as ConfigError).problems.join('\n'), 'adminTokens[0].tokenHash: must be "sha256:" and 64 hex digits', 'a malformed tokenHash names the key and the form')
  }
  t.equal(parse({ name: 'ok', tokenHash: sha256(configToken) }).adminTokens[0]?.tokenHash, sha256(configToken), 'a well-formed tokenHash is kept')
})

t.test('generated token kept as a hash', async (t) => {
  const testApp = await buildTestApp(t, { adminTokens: [] })
  const fileToken = readFileSync(path.join(testApp.dataDir, 'admin-token'), 'utf8').trim()
  const rows = storedTokens(testApp.dataDir)
  t.same(rows.map((row) => row.name), ['local'], 'one row for the generated token')
  t.equal(rows[0]?.hash, hashAdminToken(fileToken), 'the row holds the SHA-256 of the token')
  const database = readFileSync(path.join(testApp.dataDir, 'knocklist.db'))
  t.equal(database.indexOf(fileToken), -1, 'the token itself is not in the database file')

  const reply = await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: `Bearer ${fileToken}` } })
  t.equal(reply.statusCode, 200, 'the generated token is accepted')
})

t.test('generated token dropped when the config names tokens', async (t) => {
  const dataDir = temporaryDirectory(t)
  const first = await buildTestApp(t, { adminTokens: [] }, { dataDir })
  const fileToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()
  await first.app.close()
  await first.runtime.close()

  const second = await buildTestApp(t, {}, { dataDir })
  t.same(storedTokens(dataDir), [], 'the generated token row is removed')
  const reply = await second.app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: `Bearer ${fileToken}` } })
  t.equal(reply.statusCode, 401, 'the generated token is not in force beside configured tokens')
})

// Runs `knocklist token ...` in this process and captures what it writes.
// The command does its work synchronously, so the output is captured while
// run() executes and restored before anything else can write.
async function runTokenCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const parsed = parseArgs({ args, options: tokenCommand.options as ParseArgsConfig['options'], allowPositionals: true, strict: true })
  let stdout = ''
  let stderr = ''
  const writeStdout = process.stdout.write
  const writeStderr = process.stderr.write
  process.stdout.write = ((chunk: string) => {
    stdout += chunk
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => {
    stderr += chunk
    return true
  }) as typeof process.stderr.write
  let pending: Promise<number>
  try {
    pending = tokenCommand.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals)
  } finally {
    process.stdout.write = writeStdout
    process.stderr.write = writeStderr
  }
  try {
    return { code: await pending, stdout, stderr }
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    return { code: error.exitCode, stdout, stderr: stderr + error.message }
  }
}

t.test('token create, list and revoke', async (t) => {
  const testApp = await buildTestApp(t, { adminTokens: [{ name: 'ops', tokenHash: sha256(configToken) }] })
  const configFile = path.join(testApp.dataDir, 'knocklist.yaml')
  writeFileSync(configFile, `dataDir: ${JSON.stringify(testApp.dataDir)}\nadminTokens: [{ name: ops, tokenHash: "${sha256(configToken)}" }]\n`)
  const status = async (token: string) => (await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: `Bearer ${token}` } })).statusCode
  t.equal(await status(configToken), 200, 'the configured token works')

  // One run through the built CLI, the rest in this process.
  const created = await runCli(['token', 'create', 'ci-bot', '--config', configFile], { cwd: testApp.dataDir })
  t.equal(created.code, 0, `token create exits 0 (${created.stderr})`)
  const token = created.stdout.trim()
  t.match(token, /^[A-Za-z0-9_-]{43}$/, 'the token is 32 random bytes in base64url, alone on stdout')
  t.match(created.stderr, 'shown only now', 'stderr says the token is shown once')
  t.equal(await status(token), 200, 'the running server accepts the new token at once')
  t.same(storedTokens(testApp.dataDir).map((row) => [row.name, row.hash]), [['ci-bot', sha256(token)]], 'the store holds only the hash')

  const duplicate = await runTokenCommand(['create', 'ci-bot', '--config', configFile])
  t.equal(duplicate.code, 1, 'creating a taken name exits 1')
  t.match(duplicate.stderr, 'already exists', 'and says why')
  const shadowing = await runTokenCommand(['create', 'ops', '--config', configFile])
  t.equal(shadowing.code, 1, 'a name from the config file is rejected')
  const reserved = await runTokenCommand(['create', 'local', '--config', configFile])
  t.equal(reserved.code, 1, 'the name of the generated token is rejected')
  const badName = await runTokenCommand(['create', 'has space', '--config', configFile])
  t.equal(badName.code, 2, 'an invalid name exits 2')
  const unknown = await runTokenCommand(['rotate', '--config', configFile])
  t.equal(unknown.code, 2, 'an unknown subcommand exits 2')

  const listed = await runTokenCommand(['list', '--config', configFile])
  t.equal(listed.code, 0, 'token list exits 0')
  t.match(listed.stdout, /^NAME\s+CREATED\s+SOURCE$/m, 'the list has a header')
  t.match(listed.stdout, /^ops\s+-\s+config$/m, 'the configured token is listed')
  t.match(listed.stdout, /^ci-bot\s+\d{4}-\d\d-\d\dT\S+Z\s+store$/m, 'the created token is listed with its creation time')
  t.notMatch(listed.stdout, token, 'the list does not show the token')
  const json = await runTokenCommand(['list', '--json', '--config', configFile])
  t.same(JSON.parse(json.stdout).map((row: { name: string; source: string }) => [row.name, row.source]), [['ops', 'config'], ['ci-bot', 'store']], 'token list --json has every token')

  const revoked = await runTokenCommand(['revoke', 'ci-bot', '--config', configFile])
  t.equal(revoked.code, 0, `token revoke exits 0 (${revoked.stderr})`)
  t.equal(await status(token), 401, 'the running server rejects the revoked token at once')
  const again = await runTokenCommand(['revoke', 'ci-bot', '--config', configFile])
  t.equal(again.code, 1, 'revoking an unknown name exits 1')
  const configured = await runTokenCommand(['revoke', 'ops', '--config', configFile])
  t.equal(configured.code, 1, 'a configured token cannot be revoked from the CLI')
  t.match(configured.stderr, 'declared in the config file', 'and the message says where to change it')
})

t.test('revoking the generated token sticks', async (t) => {
  const dataDir = temporaryDirectory(t)
  const first = await buildTestApp(t, { adminTokens: [] }, { dataDir })
  const configFile = path.join(dataDir, 'knocklist.yaml')
  writeFileSync(configFile, `dataDir: ${JSON.stringify(dataDir)}\n`)
  const status = async (app: typeof first.app, token: string) => (await app.inject({ method: 'GET', url: '/v1/knocs', headers: { authorization: `Bearer ${token}` } })).statusCode
  const tokenFile = path.join(dataDir, 'admin-token')
  const generated = readFileSync(tokenFile, 'utf8').trim()
  t.equal(await status(first.app, generated), 200, 'the generated token works')

  const revoked = await runTokenCommand(['revoke', 'local', '--config', configFile])
  t.equal(revoked.code, 0, `revoking "local" exits 0 (${revoked.stderr})`)
  t.equal(await status(first.app, generated), 401, 'the running server rejects it at once')
  t.notOk(existsSync(tokenFile), 'the admin-token file is removed with it')
  await first.app.close()
  await first.runtime.close()

  const second = await buildTestApp(t, { adminTokens: [] }, { dataDir })
  t.equal(await status(second.app, generated), 401, 'the revoked token does not come back after a restart')
  const replacement = readFileSync(tokenFile, 'utf8').trim()
  t.not(replacement, generated, 'a new token was generated')
  t.equal(await status(second.app, replacement), 200, 'and it works')
})
