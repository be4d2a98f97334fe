import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { adminToken, buildTestApp, listen, postJson, temporaryDirectory, waitFor, type TestApp } from './helpers/app.js'
import { runCli, startServerProcess } from './helpers/process.js'
import { parseConfig } from '../src/config/load.js'
import { startServer } from '../src/server.js'
import { ManualClock } from './fixtures/routeros/address-list.js'
import { SERVICE_USER, startRouterEmulator, type RouterEmulator } from './fixtures/routeros/emulator.js'
import { RouterOsInterpreter } from './fixtures/routeros-interpreter/interpreter.js'

// A config file edited while knocklist is stopped: the next start finds the
// lists it wrote before and empties those it no longer writes.

interface Started {
  testApp: TestApp
  base: string
  lines: string[]
  stop(): Promise<void>
}

function router(emulator: RouterEmulator, overrides: Record<string, unknown> = {}) {
  return { name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint, ...overrides }
}

function officeKnoc(routers: unknown[], overrides: Record<string, unknown> = {}) {
  return { name: 'office', mode: 'active', addressList: 'knocklist-office', routers, ...overrides }
}

// Starts knocklist on a shared data folder with the given config knocs, and
// captures its log lines.
async function start(t: Test, dataDir: string, knocs: unknown[]): Promise<Started> {
  const lines: string[] = []
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    }),
  )
  const testApp = await buildTestApp(t, { knocs }, { dataDir, runtime: { logger } })
  const base = await listen(testApp)
  let stopped = false
  return {
    testApp,
    base,
    lines,
    async stop() {
      if (stopped) return
      stopped = true
      await testApp.app.close()
      await testApp.runtime.close()
    },
  }
}

function onList(emulator: RouterEmulator, list: string): string[] {
  return emulator.tables.ipv4
    .all()
    .filter((entry) => entry.list === list)
    .map((entry) => entry.address)
    .sort()
}

async function grantOne(t: Test, started: Started, emulator: RouterEmulator, address: string) {
  const created = await postJson(started.base, '/v1/knocs/office/grants', { address, ttl: '1h', user: 'alice' })
  t.equal(created.status, 201, `grant of ${address} acknowledged`)
  await waitFor(() => onList(emulator, 'knocklist-office').includes(address), 3000, `${address} on the router`)
}

async function emulatorFor(t: Test): Promise<RouterEmulator> {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  return emulator
}

// Runs knocklist once on a new data folder with the office knoc on the
// emulator, grants the address, stops, and returns the data folder.
async function grantedOnce(t: Test, emulator: RouterEmulator, address: string): Promise<string> {
  const dataDir = temporaryDirectory(t)
  const first = await start(t, dataDir, [officeKnoc([router(emulator)])])
  t.teardown(() => first.stop())
  await grantOne(t, first, emulator, address)
  await first.stop()
  return dataDir
}

t.test('renamed list emptied at next start', async (t) => {
  const emulator = await emulatorFor(t)
  const dataDir = await grantedOnce(t, emulator, '192.0.2.71')
  emulator.tables.ipv4.add({ list: 'knocklist-office', address: '198.51.100.9', comment: 'added by hand' })

  const second = await start(t, dataDir, [officeKnoc([router(emulator)], { addressList: 'knocklist-renamed' })])
  t.teardown(() => second.stop())
  await waitFor(() => onList(emulator, 'knocklist-renamed').length === 1 && onList(emulator, 'knocklist-office').length === 1, 3000, 'the move to the new list')
  t.same(onList(emulator, 'knocklist-renamed'), ['192.0.2.71'], 'the grant is on the new list')
  t.same(onList(emulator, 'knocklist-office'), ['198.51.100.9'], 'only the hand-made entry stays on the old list')
  await waitFor(() => second.lines.some((line) => line.includes('emptied a list knocklist no longer writes')), 3000, 'the log line')
  await second.stop()

  // The old list was forgotten once emptied, so a third start has nothing to clean.
  const third = await start(t, dataDir, [officeKnoc([router(emulator)], { addressList: 'knocklist-renamed' })])
  t.teardown(() => third.stop())
  await waitFor(() => emulator.requests.length > 0 && third.testApp.runtime.context.routers.status('office')[0]?.connected === true, 3000, 'the start reconcile')
  t.notOk(third.lines.some((line) => line.includes('no longer writes')), 'nothing left to empty')
  t.same(onList(emulator, 'knocklist-renamed'), ['192.0.2.71'], 'the grant stays')
})

t.test('renamed router keeps its entries', async (t) => {
  const emulator = await emulatorFor(t)
  const dataDir = await grantedOnce(t, emulator, '192.0.2.72')
  const deletesBefore = emulator.requests.filter((request) => request.method === 'DELETE').length

  const second = await start(t, dataDir, [officeKnoc([router(emulator, { name: 'edge-renamed' })])])
  t.teardown(() => second.stop())
  await waitFor(() => second.testApp.runtime.context.routers.status('office')[0]?.connected === true, 3000, 'the start reconcile')
  t.same(onList(emulator, 'knocklist-office'), ['192.0.2.72'], 'the entry stays')
  t.equal(emulator.requests.filter((request) => request.method === 'DELETE').length, deletesBefore, 'nothing deleted')
})

t.test('removed router logs the removal command', async (t) => {
  const emulator = await emulatorFor(t)
  const dataDir = await grantedOnce(t, emulator, '192.0.2.73')

  const second = await start(t, dataDir, [{ name: 'office', mode: 'passive' }])
  t.teardown(() => second.stop())
  const warning = second.lines.find((line) => line.includes('no longer configured'))
  t.ok(warning, 'a warning names the entries left behind')
  const record = JSON.parse(warning ?? '{}') as Record<string, string>
  t.equal(record.router, 'edge1', 'names the router')
  t.equal(record.list, 'knocklist-office', 'names the list')
  t.equal(record.url, emulator.url, 'names the router URL')
  t.notMatch(warning, SERVICE_USER.password, 'no password in the warning')

  // The command, pasted on a router, removes the knoc's entries and nothing else.
  const pasted = new RouterOsInterpreter({ clock: new ManualClock() })
  await pasted.paste(
    [
      '/ip firewall address-list add list=knocklist-office address=192.0.2.73 comment="knocklist:office alice"',
      '/ip firewall address-list add list=knocklist-office address=192.0.2.74 comment="knocklist:office"',
      '/ip firewall address-list add list=knocklist-office address=192.0.2.75 comment="knocklist:office-lab"',
      '/ip firewall address-list add list=knocklist-office address=198.51.100.9 comment="added by hand"',
      '/ip firewall address-list add list=other address=192.0.2.76 comment="knocklist:office"',
      '/ipv6 firewall address-list add list=knocklist-office address=2001:db8::73 comment="knocklist:office bob"',
      '',
    ].join('\n'),
  )
  await pasted.paste(record.removeCommand ?? '')
  t.same(pasted.ipv4.all().map((entry) => entry.address).sort(), ['192.0.2.75', '192.0.2.76', '198.51.100.9'], 'IPv4 entries of the knoc removed')
  t.same(pasted.ipv6.all().map((entry) => entry.address), [], 'IPv6 entries of the knoc removed')
  await second.stop()

  const third = await start(t, dataDir, [{ name: 'office', mode: 'passive' }])
  t.teardown(() => third.stop())
  t.notOk(third.lines.some((line) => line.includes('no longer configured')), 'warned once, then forgotten')
})

t.test('unreachable router retried at next start', async (t) => {
  const emulator = await emulatorFor(t)
  const dataDir = await grantedOnce(t, emulator, '192.0.2.74')

  // The router refuses logins, so the old list cannot be emptied yet.
  const renamed = [officeKnoc([router(emulator, { password: 'wrong-password' })], { addressList: 'knocklist-renamed' })]
  const second = await start(t, dataDir, renamed)
  t.teardown(() => second.stop())
  await waitFor(() => second.lines.some((line) => line.includes('the next start tries again')), 5000, 'the failure warning')
  t.same(onList(emulator, 'knocklist-office'), ['192.0.2.74'], 'the old entry is still there')
  const failure = JSON.parse(second.lines.find((line) => line.includes('the next start tries again')) ?? '{}') as Record<string, unknown>
  t.equal(failure.code, 208001, 'the warning carries the error code')
  await second.stop()

  const third = await start(t, dataDir, [officeKnoc([router(emulator)], { addressList: 'knocklist-renamed' })])
  t.teardown(() => third.stop())
  await waitFor(() => onList(emulator, 'knocklist-office').length === 0, 3000, 'the old list emptied')
  t.same(onList(emulator, 'knocklist-renamed'), ['192.0.2.74'], 'the grant is on the new list')
})

t.test('re-created knoc keeps its list', async (t) => {
  const emulator = await emulatorFor(t)
  const dataDir = temporaryDirectory(t)
  const started = await start(t, dataDir, [])
  t.teardown(() => started.stop())
  const put = (body: unknown) =>
    fetch(`${started.base}/v1/knocs/office`, { method: 'PUT', headers: { ...started.testApp.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((reply) => reply.status)
  const { name: _name, ...definition } = officeKnoc([router(emulator)])

  t.equal(await put(definition), 201, 'knoc created')
  await grantOne(t, started, emulator, '192.0.2.75')
  // A slow router keeps the delete's removal running while the knoc comes back.
  emulator.setLatency(200)
  const deleted = await fetch(`${started.base}/v1/knocs/office`, { method: 'DELETE', headers: started.testApp.auth })
  t.equal(deleted.status, 204, 'knoc deleted')
  t.equal(await put(definition), 201, 'knoc created again')
  const granted = await postJson(started.base, '/v1/knocs/office/grants', { address: '192.0.2.76', ttl: '1h' })
  t.equal(granted.status, 201, 'grant on the new knoc acknowledged')

  await waitFor(() => onList(emulator, 'knocklist-office').join() === '192.0.2.76', 8000, 'only the new grant on the router')
  const recorded = started.testApp.runtime.database.prepare('SELECT knoc, router, list FROM router_lists').all()
  t.same(recorded, [{ knoc: 'office', router: 'edge1', list: 'knocklist-office' }], 'the list is still recorded')
})

t.test('router moved to another URL is not emptied', async (t) => {
  const emulator = await emulatorFor(t)
  const replacement = await emulatorFor(t)
  const dataDir = await grantedOnce(t, emulator, '192.0.2.77')

  // Same router name, new URL and a new list: the old list is on the old device.
  const moved = router(replacement)
  const second = await start(t, dataDir, [officeKnoc([moved], { addressList: 'knocklist-renamed' })])
  t.teardown(() => second.stop())
  await waitFor(() => onList(replacement, 'knocklist-renamed').length === 1, 3000, 'the grant on the new device')
  const warning = second.lines.find((line) => line.includes('no longer configured at this URL'))
  t.ok(warning, 'a warning names the list left on the old device')
  t.equal((JSON.parse(warning ?? '{}') as Record<string, string>).url, emulator.url, 'with the old URL')
  t.same(onList(emulator, 'knocklist-office'), ['192.0.2.77'], 'the old device was not contacted')
  t.equal(replacement.requests.filter((request) => request.method === 'DELETE').length, 0, 'nothing deleted on the new device')
})

t.test('second instance changes nothing', async (t) => {
  const emulator = await emulatorFor(t)
  const cwd = temporaryDirectory(t)
  const configFile = path.join(cwd, 'knocklist.yaml')
  const writeConfig = (list: string, port: number, dataDir = './data') =>
    writeFileSync(configFile, JSON.stringify({ server: { port }, dataDir, adminTokens: [{ name: 'tests', token: adminToken }], knocs: [officeKnoc([router(emulator)], { addressList: list })] }))

  writeConfig('knocklist-office', 0)
  const running = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const granted = await postJson(running.url, '/v1/knocs/office/grants', { address: '192.0.2.78', ttl: '1h' })
  t.equal(granted.status, 201, 'grant acknowledged by the running server')
  await waitFor(() => onList(emulator, 'knocklist-office').length === 1, 3000, 'the push')
  const requestsBefore = emulator.requests.length
  const port = new URL(running.url).port

  // A mistaken second start with a renamed list: the same data folder on another port.
  writeConfig('knocklist-renamed', 0)
  const sameFolder = await runCli(['serve', '--config', configFile], { cwd })
  t.equal(sameFolder.code, 1, 'a second server on the same data folder exits 1')
  t.match(sameFolder.stderr, `the data folder ${path.join(cwd, 'data')} is in use by another knocklist server`, 'it names the data folder')

  // Its own data folder, but the port in use.
  writeConfig('knocklist-renamed', Number(port), './data-2')
  const samePort = await runCli(['serve', '--config', configFile], { cwd })
  t.equal(samePort.code, 1, 'a second server on the same port exits 1')
  t.match(samePort.stderr, `cannot listen on 127.0.0.1:${port}: the address is in use, perhaps by another knocklist`, 'it says why')
  t.notMatch(samePort.stderr, 'at Server.', 'without a stack trace')

  t.equal(emulator.requests.length, requestsBefore, 'neither sent anything to the router')
  t.same(onList(emulator, 'knocklist-office'), ['192.0.2.78'], 'the running server still has its entry')
})

t.test('new URL for the same list warns', async (t) => {
  const emulator = await emulatorFor(t)
  const replacement = await emulatorFor(t)
  const dataDir = await grantedOnce(t, emulator, '192.0.2.79')

  const second = await start(t, dataDir, [officeKnoc([router(replacement)])])
  t.teardown(() => second.stop())
  await waitFor(() => onList(replacement, 'knocklist-office').length === 1, 3000, 'the grant on the new device')
  const warning = second.lines.find((line) => line.includes('no longer configured at this URL'))
  t.ok(warning, 'a warning names the list left on the old device')
  t.equal((JSON.parse(warning ?? '{}') as Record<string, string>).url, emulator.url, 'with the old URL')
  await second.stop()

  // The record now has the new URL, so the next start does not warn again.
  const third = await start(t, dataDir, [officeKnoc([router(replacement)])])
  t.teardown(() => third.stop())
  await waitFor(() => third.testApp.runtime.context.routers.status('office')[0]?.connected === true, 3000, 'the start reconcile')
  t.notOk(third.lines.some((line) => line.includes('no longer configured at this URL')), 'warned once')
})

t.test('failed start leaves the data folder free', async (t) => {
  const cwd = temporaryDirectory(t)
  const dataDir = path.join(cwd, 'data')
  const silent = pino({ level: 'silent' })
  const loaded = (tls?: { cert: string; key: string }) => ({
    file: undefined,
    config: parseConfig({ server: { port: 0, ...(tls ? { tls } : {}) }, dataDir, adminTokens: [{ name: 'tests', token: adminToken }], knocs: [] }, { source: 'test', baseDir: cwd, env: {} }),
  })

  await t.rejects(startServer(loaded({ cert: path.join(cwd, 'missing.pem'), key: path.join(cwd, 'missing.key') }), silent), { code: 'ENOENT' }, 'a missing TLS file fails the start')
  const server = await startServer(loaded(), silent)
  t.teardown(() => server.close())
  t.match(server.address, /^http:\/\/127\.0\.0\.1:\d+$/, 'a second start in the same process gets the data folder')
})

t.test('data folder that cannot be created is named', async (t) => {
  const cwd = temporaryDirectory(t)
  writeFileSync(path.join(cwd, 'a-file'), '')
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(configFile, JSON.stringify({ server: { port: 0 }, dataDir: './a-file/data', adminTokens: [{ name: 'tests', token: adminToken }] }))
  const result = await runCli(['serve', '--config', configFile], { cwd })
  t.equal(result.code, 1, 'serve exits 1')
  t.match(result.stderr, `cannot open ${path.join(cwd, 'a-file', 'data', 'knocklist.lock')}`, 'the message names the lock file')
  t.match(result.stderr, 'knocklist did not start.', 'and says the server did not start')
  t.notMatch(result.stderr, '    at ', 'without a stack trace')
})
