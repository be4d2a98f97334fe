import { writeFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { SERVICE_USER, startRouterEmulator, type RouterEmulator } from './fixtures/routeros/emulator.js'
import { temporaryDirectory, waitFor } from './helpers/app.js'
import { startServerProcess } from './helpers/process.js'
import { Relay } from './helpers/relay.js'

const token = 'shutdown-test-admin-token-0123456789'
const list = 'knocklist-office'

function writeConfig(cwd: string, emulator: RouterEmulator, routerUrl: string): string {
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(
    configFile,
    [
      'server: { port: 0 }',
      `adminTokens: [{ name: ops, token: ${token} }]`,
      `knocs: [{ name: office, mode: active, addressList: ${list}, routers: [{ name: edge1, url: "${routerUrl}", username: ${SERVICE_USER.name}, password: ${SERVICE_USER.password}, fingerprint: "${emulator.fingerprint}" }] }]`,
      '',
    ].join('\n'),
  )
  return configFile
}

async function grant(url: string, address: string): Promise<number> {
  const response = await fetch(`${url}/v1/knocs/office/grants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address, ttl: '1h' }),
  })
  await response.arrayBuffer()
  return response.status
}

// Opens the store as a fresh process would and returns its integrity check
// result and the active grant count.
function inspectStore(dataDir: string): { integrity: string; active: number } {
  const db = new Database(path.join(dataDir, 'knocklist.db'))
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string
    const active = (db.prepare('SELECT count(*) AS count FROM grants WHERE ended_at IS NULL').get() as { count: number }).count
    return { integrity, active }
  } finally {
    db.close()
  }
}

function routerAddresses(emulator: RouterEmulator): string[] {
  return emulator.tables.ipv4.all().filter((entry) => entry.list === list).map((entry) => entry.address)
}

async function startEmulator(t: Test, latencyMs = 0): Promise<RouterEmulator> {
  const emulator = await startRouterEmulator({ latencyMs })
  t.teardown(() => emulator.close())
  return emulator
}

t.test('SIGTERM drains queued router changes', async (t) => {
  // Each router request takes 25 ms, so forty grants queue up about a second of pushes.
  const emulator = await startEmulator(t, 25)
  const cwd = temporaryDirectory(t)
  const server = await startServerProcess(t, { cwd, args: ['--config', writeConfig(cwd, emulator, emulator.url)] })

  const statuses = await Promise.all(Array.from({ length: 40 }, (_, index) => grant(server.url, `192.0.2.${index + 1}`)))
  t.ok(statuses.every((status) => status === 201), 'forty grants acknowledged')
  t.ok(routerAddresses(emulator).length < 40, `the router queue is not empty at SIGTERM (${routerAddresses(emulator).length} pushed)`)

  server.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 100))
  const late = await grant(server.url, '192.0.2.200').then(
    (status) => status,
    () => 'refused',
  )
  t.ok(late === 'refused' || late === 503, `a request after SIGTERM is not served (${late})`)

  const exit = await server.exited
  t.equal(exit.code, 0, 'the process exits 0')
  t.equal(routerAddresses(emulator).length, 40, 'every queued change reached the router before the exit')
  t.match(server.stdout(), '"knocklist stopped"', 'the stop is logged')
  t.notMatch(server.stdout(), 'not drained', 'no queue was left behind')
  t.same(inspectStore(path.join(cwd, 'data')), { integrity: 'ok', active: 40 }, 'the store opens cleanly and holds every grant')
})

t.test('SIGTERM with the router down persists the queue', async (t) => {
  const emulator = await startEmulator(t)
  const relay = new Relay(emulator.port)
  await relay.plug()
  t.teardown(() => relay.unplug())
  const cwd = temporaryDirectory(t)
  const configFile = writeConfig(cwd, emulator, `https://127.0.0.1:${relay.port}`)
  const server = await startServerProcess(t, { cwd, args: ['--config', configFile] })

  await relay.unplug()
  for (let index = 1; index <= 5; index++) t.equal(await grant(server.url, `198.51.100.${index}`), 201, `grant ${index} acknowledged while the router is down`)
  const stopping = Date.now()
  server.child.kill('SIGTERM')
  const exit = await server.exited
  t.equal(exit.code, 0, 'the process exits 0 although the queue could not drain')
  t.ok(Date.now() - stopping < 9000, `it exits before the 10 s forced exit (${Date.now() - stopping} ms)`)
  t.match(server.stdout(), 'router queues not drained at shutdown', 'the undrained queue is logged')
  t.same(inspectStore(path.join(cwd, 'data')), { integrity: 'ok', active: 5 }, 'the store holds the queued grants')

  await relay.plug()
  const restarted = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  await waitFor(() => routerAddresses(emulator).length === 5, 5000, 'the reconcile at the next start')
  t.same(routerAddresses(emulator).sort(), ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'], 'the next start pushed what was queued')
  restarted.child.kill('SIGTERM')
  await restarted.exited
})
