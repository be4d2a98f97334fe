// The passive integration end to end: the setup script served by a real
// knocklist server is pasted into the RouterOS interpreter, whose importer
// then polls that server over loopback.
import t, { type Test } from 'tap'
import { adminToken, buildTestApp, freePort, listen, waitFor, type TestApp } from './helpers/app.js'
import { ManualClock } from './helpers/clock.js'
import { SERVICE_USER, startRouterEmulator } from './fixtures/routeros/emulator.js'
import { RouterOsInterpreter } from './fixtures/routeros-interpreter/interpreter.js'

const bearer = { authorization: `Bearer ${adminToken}` }
const list = 'knocklist-office'
const feedPassword = 'office-feed-password'

function knoc(overrides: Record<string, unknown> = {}) {
  return { name: 'office', mode: 'passive', addressList: list, feed: { password: feedPassword, pollInterval: '30s' }, prefix: { ipv4: 24, ipv6: 64 }, ...overrides }
}

interface Passive {
  clock: ManualClock
  testApp: TestApp
  base: string
  router: RouterOsInterpreter
}

// Starts knocklist on a manual clock, with publicUrl set to its own loopback
// address, and pastes its setup script into an interpreter that shares the clock.
async function setUp(t: Test, config: Record<string, unknown> = {}, runtime: Record<string, unknown> = {}): Promise<Passive> {
  const clock = new ManualClock(Date.now())
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const testApp = await buildTestApp(t, { knocs: [knoc()], ...config, server: { port, publicUrl: base } }, { clock, runtime })
  await testApp.app.listen({ host: '127.0.0.1', port })
  const router = new RouterOsInterpreter({ clock })
  const script = await fetch(`${base}/v1/knocs/office/routeros/setup.rsc`, { headers: bearer })
  t.equal(script.status, 200, 'setup script served')
  await router.paste(await script.text())
  return { clock, testApp, base, router }
}

async function grant(base: string, address: string, ttl: string | number, user?: string) {
  const reply = await fetch(`${base}/v1/knocs/office/grants`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ address, ttl, ...(user ? { user } : {}) }),
  })
  return (await reply.json()) as { id: string }
}

function routerList(router: RouterOsInterpreter) {
  return [...router.ipv4.all(), ...router.ipv6.all()]
    .filter((entry) => entry.list === list)
    .map((entry) => ({ address: entry.address, timeout: entry.timeout, comment: entry.comment }))
    .sort((a, b) => a.address.localeCompare(b.address))
}

t.test('list follows grants, extends, revokes and expiry', async (t) => {
  const { clock, base, router } = await setUp(t)
  await router.runStartupSchedulers()
  t.same(routerList(router), [], 'an empty knoc gives an empty list')

  const alice = await grant(base, '192.0.2.10', '1h', 'alice')
  await grant(base, '2001:DB8::10', '2h')
  await grant(base, '198.51.100.77/24', '30m')
  await router.runPeriodicSchedulers()
  t.same(routerList(router).map((entry) => entry.address), ['192.0.2.10', '198.51.100.0/24', '2001:db8::10/128'], 'every grant on the router, in RouterOS form')
  t.ok(routerList(router).every((entry) => entry.comment === 'knocklist:office'), 'entries carry the managed tag')
  const first = routerList(router).find((entry) => entry.address === '192.0.2.10')!
  t.ok(first.timeout! > 3500 && first.timeout! <= 3600, `timeout is the remaining grant (${first.timeout} s)`)

  await grant(base, '192.0.2.10', '5h', 'bob')
  await router.runPeriodicSchedulers()
  t.ok(routerList(router).find((entry) => entry.address === '192.0.2.10')!.timeout! > 4 * 3600, 'the extension reached the router')

  await fetch(`${base}/v1/grants/${alice.id}`, { method: 'DELETE', headers: bearer })
  await router.runPeriodicSchedulers()
  t.ok(routerList(router).some((entry) => entry.address === '192.0.2.10'), "bob's grant keeps the address")

  clock.advance(31 * 60 * 1000)
  await router.runPeriodicSchedulers()
  t.notOk(routerList(router).some((entry) => entry.address === '198.51.100.0/24'), 'the expired grant left the router')
})

t.test('unchanged feed costs one small fetch', async (t) => {
  const { base, router } = await setUp(t)
  for (let index = 1; index <= 50; index++) await grant(base, `192.0.2.${index}`, '1h')
  await router.runPeriodicSchedulers()
  const fetchesBefore = router.fetches.length
  const stepsBefore = router.steps
  await router.runPeriodicSchedulers()
  t.equal(router.fetches.length - fetchesBefore, 1, 'one fetch: the version reply')
  t.ok(router.steps - stepsBefore < 300, `few steps when nothing changed (${router.steps - stepsBefore})`)
})

t.test('server down changes nothing and entries still expire', async (t) => {
  const { clock, testApp, base, router } = await setUp(t)
  await grant(base, '192.0.2.20', '10m')
  await router.runPeriodicSchedulers()
  t.equal(routerList(router).length, 1, 'one entry')

  await testApp.app.close()
  const warningsBefore = router.logs.filter((entry) => entry.topics.includes('warning')).length
  await router.runPeriodicSchedulers()
  t.equal(routerList(router).length, 1, 'the list is kept while the server is unreachable')
  t.equal(router.logs.filter((entry) => entry.topics.includes('warning')).length - warningsBefore, 1, 'one warning logged')

  clock.advance(11 * 60 * 1000)
  t.equal(routerList(router).length, 0, "the entry's own timeout ended access without the server")
})

t.test('unmanaged entries survive an empty knoc', async (t) => {
  const { base, router } = await setUp(t)
  const granted = await grant(base, '192.0.2.30', '1h')
  await router.runPeriodicSchedulers()
  router.ipv4.add({ list, address: '203.0.113.5', comment: 'admin static' })
  await fetch(`${base}/v1/grants/${granted.id}`, { method: 'DELETE', headers: bearer })
  await router.runPeriodicSchedulers()
  t.same(routerList(router).map((entry) => entry.address), ['203.0.113.5'], "only the admin's entry remains")
})

t.test('hostile user names and comments', async (t) => {
  const { base, router } = await setUp(t)
  for (const user of ['"; /system reset-configuration; "', '$(/system reboot)', '[/user remove admin]']) await grant(base, '192.0.2.40', '1h', user)
  await router.runPeriodicSchedulers()
  t.same(routerList(router).map((entry) => entry.address), ['192.0.2.40'], 'the address is added')
  t.same(router.codeFromData, [], 'no fetched text was run as code')
})

t.test('rsc feed imports without aborting on duplicates', async (t) => {
  const { base, router } = await setUp(t)
  await grant(base, '192.0.2.50', '1h')
  await grant(base, '192.0.2.51', '1h')
  router.ipv4.add({ list, address: '192.0.2.50', comment: 'knocklist:office', timeout: 60 })
  router.ipv4.add({ list, address: '192.0.2.99', comment: 'knocklist:office', timeout: 60 })
  const rsc = await fetch(`${base}/v1/feeds/office.rsc`, { headers: { authorization: `Basic ${Buffer.from(`feed:${feedPassword}`).toString('base64')}` } })
  t.equal(rsc.status, 200, 'rsc served')
  t.ok(rsc.headers.get('content-length'), 'with Content-Length')
  await router.importFile(await rsc.text())
  t.same(routerList(router).map((entry) => entry.address), ['192.0.2.50', '192.0.2.51'], 'both granted, the stale managed entry removed')
  t.ok(routerList(router).find((entry) => entry.address === '192.0.2.50')!.timeout! > 3000, 'the duplicate got its timeout refreshed')
})

t.test('setup script refused for an active knoc', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const testApp = await buildTestApp(t, { knocs: [knoc({ mode: 'active', routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint }] })] })
  const base = await listen(testApp)
  const reply = await fetch(`${base}/v1/knocs/office/routeros/setup.rsc`, { headers: bearer })
  t.equal(reply.status, 409, '409')
  t.equal(((await reply.json()) as { code: string }).code, 'KNL_KNOC_NOT_PASSIVE', 'code KNL_KNOC_NOT_PASSIVE')
})

t.test('passive-plus nudges the router once per burst', async (t) => {
  const clock = new ManualClock(Date.now())
  const router = new RouterOsInterpreter({ clock })
  const runs: string[] = []
  const emulator = await startRouterEmulator({
    scripts: { 'knocklist-office': '# installed by the setup script' },
    onScriptRun: (name) => {
      runs.push(name)
      void router.runScript(name)
    },
  })
  t.teardown(() => emulator.close())
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const testApp = await buildTestApp(
    t,
    {
      server: { port, publicUrl: base },
      knocs: [knoc({ mode: 'passive-plus', routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint }] })],
    },
    { runtime: { nudgeDebounceMs: 100 } },
  )
  await testApp.app.listen({ host: '127.0.0.1', port })
  const script = await fetch(`${base}/v1/knocs/office/routeros/setup.rsc`, { headers: bearer })
  await router.paste(await script.text())

  for (let index = 1; index <= 5; index++) await grant(base, `192.0.2.${60 + index}`, '1h')
  await waitFor(() => runs.length === 1, 3000, 'the nudge')
  await waitFor(() => routerList(router).length === 5, 3000, 'the importer run')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(runs, ['knocklist-office'], 'one importer run for a burst of five grants')

  const status = ((await (await fetch(`${base}/v1/knocs/office`, { headers: bearer })).json()) as { routers: Array<{ sync: { connected: boolean } }> }).routers[0]!.sync
  t.equal(status.connected, true, 'the nudge shows in the router status')

  const sync = await fetch(`${base}/v1/knocs/office/sync`, { method: 'POST', headers: bearer })
  t.equal(sync.status, 200, 'sync of a passive-plus knoc answers 200')
  t.same(((await sync.json()) as { routers: unknown[] }).routers, [{ name: 'edge1', ok: true, importerRun: true }], 'sync reports the importer run')
  t.same(runs, ['knocklist-office', 'knocklist-office'], 'sync ran the importer at once')
})

t.test('passive-plus nudge failure reported with its code', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const testApp = await buildTestApp(
    t,
    { knocs: [knoc({ mode: 'passive-plus', routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: 'wrong-password', fingerprint: emulator.fingerprint }] })] },
    { runtime: { nudgeDebounceMs: 50 } },
  )
  const base = await listen(testApp)
  await grant(base, '192.0.2.70', '1h')
  await waitFor(async () => {
    const knocReply = (await (await fetch(`${base}/v1/knocs/office`, { headers: bearer })).json()) as { routers: Array<{ sync: { lastErrorCode?: number } }> }
    return knocReply.routers[0]!.sync.lastErrorCode === 208001
  }, 3000, 'the 208001 status')
  t.pass('a nudge with a wrong password shows 208001')

  const sync = await fetch(`${base}/v1/knocs/office/sync`, { method: 'POST', headers: bearer })
  const routers = ((await sync.json()) as { routers: Array<{ ok: boolean; code?: number }> }).routers
  t.equal(routers[0]!.ok, false, 'sync reports the failed importer run')
  t.equal(routers[0]!.code, 208001, 'with its code')
})
