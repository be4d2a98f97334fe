import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startRouterEmulator } from './fixtures/routeros/emulator.js'
import { temporaryDirectory, waitFor } from './helpers/app.js'
import { runCli, startServerProcess } from './helpers/process.js'

// Every secret the scenario configures. Each is unique and long enough that
// finding it anywhere can only mean it leaked.
const secrets = {
  adminToken: 'SECRET-admin-token-7f3a9c2e51d84b06',
  feedPassword: 'SECRET-feed-password-c4e1b7a0',
  routerPassword: 'SECRET-router-password-93d2f1aa',
  wrongRouterPassword: 'SECRET-wrong-router-password-5b7e',
  storedRouterPassword: 'SECRET-stored-router-password-1e9d',
  urlPassword: 'SECRET-url-password-0a6c',
  shortFeedPassword: 'SECRET7',
}
const routerUser = 'agent-under-test'
const wrongGuesses = { adminToken: 'SECRET-guessed-admin-token-0000', feedPassword: 'SECRET-guessed-feed-password' }

// The forms a secret could leak in: as is, JSON-escaped, and as the
// Basic-auth header value built from it.
function leakForms(): Array<[string, string]> {
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64')
  return [
    ...Object.entries(secrets).map(([name, value]): [string, string] => [name, value]),
    ...Object.entries(wrongGuesses).map(([name, value]): [string, string] => [`guessed ${name}`, value]),
    ['feed Basic auth', basic('feed', secrets.feedPassword)],
    ['guessed feed Basic auth', basic('feed', wrongGuesses.feedPassword)],
    ['router Basic auth', basic(routerUser, secrets.routerPassword)],
    ['wrong router Basic auth', basic(routerUser, secrets.wrongRouterPassword)],
    ['stored router Basic auth', basic(routerUser, secrets.storedRouterPassword)],
    ['admin token in base64', Buffer.from(secrets.adminToken).toString('base64')],
  ]
}

t.test('no secret in logs, errors or replies', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  emulator.users.add({ name: routerUser, password: secrets.routerPassword, group: 'knocklist' })

  const cwd = temporaryDirectory(t)
  const router = (name: string, passwordReference: string) =>
    `{ name: ${name}, url: "${emulator.url}", username: ${routerUser}, password: "${passwordReference}", fingerprint: "${emulator.fingerprint}" }`
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(
    configFile,
    [
      'server: { port: 0 }',
      'adminTokens: [{ name: ops, token: "${ADMIN_TOKEN}" }]',
      'reconcileInterval: 2s',
      'knocs:',
      `  - { name: office, mode: active, feed: { password: "\${FEED_PASSWORD}" }, routers: [${router('edge1', '${ROUTER_PASSWORD}')}] }`,
      `  - { name: broken, mode: active, feed: { password: "${secrets.feedPassword}" }, routers: [${router('edge2', secrets.wrongRouterPassword)}] }`,
      '',
    ].join('\n'),
  )
  const env = { ADMIN_TOKEN: secrets.adminToken, FEED_PASSWORD: secrets.feedPassword, ROUTER_PASSWORD: secrets.routerPassword, KNOCKLIST_LOG_LEVEL: 'debug' }
  const server = await startServerProcess(t, { cwd, args: ['--config', configFile], env })

  const transcript: string[] = []
  const call = async (route: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
    let body: string | undefined
    if (typeof init.body === 'string') body = init.body
    else if (init.body !== undefined) body = JSON.stringify(init.body)
    const response = await fetch(`${server.url}${route}`, {
      method: init.method ?? 'GET',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body,
    })
    const text = await response.text()
    transcript.push(`${init.method ?? 'GET'} ${route} -> ${response.status} ${JSON.stringify([...response.headers])}\n${text}`)
    return { status: response.status, text }
  }
  const admin = { authorization: `Bearer ${secrets.adminToken}` }
  const feedAuth = (password: string) => ({ authorization: `Basic ${Buffer.from(`feed:${password}`).toString('base64')}` })

  // Grants, pushed to the router with the right password and failing with the wrong one.
  for (const address of ['192.0.2.10', '192.0.2.11', '2001:db8::10']) {
    t.equal((await call('/v1/knocs/office/grants', { method: 'POST', headers: admin, body: { address, ttl: '10m', user: 'alice' } })).status, 201, `grant ${address} on office`)
  }
  t.equal((await call('/v1/knocs/broken/grants', { method: 'POST', headers: admin, body: { address: '192.0.2.12' } })).status, 201, 'grant on the knoc with the wrong router password')
  await waitFor(() => emulator.tables.ipv4.all().length === 2, 5000, 'the pushes to edge1')

  // Feeds with the right and wrong passwords, and admin calls with a wrong token.
  t.equal((await call('/v1/feeds/office.txt', { headers: feedAuth(secrets.feedPassword) })).status, 200, 'feed with the right password')
  t.equal((await call('/v1/feeds/office.json', { headers: feedAuth(wrongGuesses.feedPassword) })).status, 401, 'feed with a wrong password')
  t.equal((await call('/v1/feeds/office.txt', { headers: { authorization: `Basic ${Buffer.from(secrets.feedPassword).toString('base64')}` } })).status, 401, 'feed with the password and no username')
  t.equal((await call('/v1/knocs', { headers: { authorization: `Bearer ${wrongGuesses.adminToken}` } })).status, 401, 'admin call with a wrong token')

  // Router validation and sync, good and bad.
  t.equal((await call('/v1/knocs/office/validate', { method: 'POST', headers: admin, body: {} })).status, 200, 'validate office')
  const brokenValidation = await call('/v1/knocs/broken/validate', { method: 'POST', headers: admin, body: {} })
  t.match(brokenValidation.text, '"code":208001', 'validation with the wrong router password reports 208001')
  await call('/v1/knocs/broken/sync', { method: 'POST', headers: admin, body: {} })
  await call('/v1/knocs', { headers: admin })
  await call('/v1/knocs/office', { headers: admin })
  await call('/v1/knocs/office/routeros/setup.rsc', { headers: admin })

  // Knocs through the API: a stored one with a router password, invalid
  // definitions that carry passwords, and an unknown field named like a secret.
  const storedRouter = { name: 'edge3', url: emulator.url, username: routerUser, password: secrets.storedRouterPassword, fingerprint: emulator.fingerprint }
  t.equal((await call('/v1/knocs/lab', { method: 'PUT', headers: admin, body: { mode: 'active', routers: [storedRouter] } })).status, 201, 'stored knoc created')
  await call('/v1/knocs/lab/validate', { method: 'POST', headers: admin, body: {} })
  t.equal((await call('/v1/knocs/lab2', { method: 'PUT', headers: admin, body: { mode: 'active', routers: [{ ...storedRouter, url: `https://u:${secrets.urlPassword}@127.0.0.1` }] } })).status, 400, 'a router URL with credentials is rejected')
  t.equal((await call('/v1/knocs/lab3', { method: 'PUT', headers: admin, body: { feed: { password: secrets.shortFeedPassword } } })).status, 400, 'a short feed password is rejected')
  t.equal((await call('/v1/knocs/lab4', { method: 'PUT', headers: admin, body: { pasword: secrets.storedRouterPassword } })).status, 400, 'an unknown field is rejected')
  t.equal((await call('/v1/knocs/lab5', { method: 'PUT', headers: admin, body: `{"feed":{"password":"${secrets.storedRouterPassword}"` })).status, 400, 'truncated JSON is rejected')
  await new Promise((resolve) => setTimeout(resolve, 500))

  server.child.kill('SIGTERM')
  t.equal((await server.exited).code, 0, 'the server stops cleanly')

  // Config errors, from check-config and from serve.
  const badConfig = path.join(cwd, 'bad.yaml')
  writeFileSync(
    badConfig,
    [
      `adminTokens: [{ name: ops, token: "${secrets.shortFeedPassword}" }, { name: ci, token: "${secrets.adminToken}", tokenHash: "sha256:${'0'.repeat(64)}" }]`,
      'knocs:',
      `  - { name: office, mode: active, feed: { password: "${secrets.shortFeedPassword}" }, routers: [{ name: r1, url: "https://u:${secrets.urlPassword}@127.0.0.1", username: u, password: "${secrets.routerPassword}", fingerprint: "${secrets.wrongRouterPassword}" }] }`,
      `  - { name: BAD, pasword: "${secrets.storedRouterPassword}" }`,
      '',
    ].join('\n'),
  )
  const checked = await runCli(['check-config', '--config', badConfig], { cwd })
  t.equal(checked.code, 1, 'check-config rejects the bad config')
  t.match(checked.stderr, 'knocs[0].routers[0].url', 'the URL problem is reported')
  const rejected = await runCli(['serve', '--config', badConfig], { cwd })
  t.not(rejected.code, 0, 'serve refuses the bad config')

  const outputs: Array<[string, string]> = [
    ['server stdout', server.stdout()],
    ['server stderr', server.stderr()],
    ['replies', transcript.join('\n')],
    ['check-config output', checked.stdout + checked.stderr],
    ['serve output for the bad config', rejected.stdout + rejected.stderr],
  ]
  t.ok(server.stdout().includes('"authentication failed"'), 'the log has the failed logins, so it was captured')
  t.ok(server.stdout().includes('208001'), 'the log has the router authentication failure')
  for (const [where, text] of outputs) {
    for (const [secret, form] of leakForms()) {
      t.notOk(text.includes(form), `${where} does not contain the ${secret}`)
    }
  }
})
