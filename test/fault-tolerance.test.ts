import t, { type Test } from 'tap'
import { adminToken, buildTestApp, listen, postJson, waitFor } from './helpers/app.js'
import { SERVICE_USER, startRouterEmulator, type RouterEmulator } from './fixtures/routeros/emulator.js'
import { Relay } from './helpers/relay.js'

const bearer = { authorization: `Bearer ${adminToken}` }
const list = 'knocklist-office'

interface RouterStatus {
  connected?: boolean
  lastErrorCode?: number
  queueLength?: number
}

async function startEmulator(t: Test): Promise<RouterEmulator> {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  return emulator
}

function activeKnoc(emulator: RouterEmulator, url = emulator.url) {
  return {
    name: 'office',
    mode: 'active',
    addressList: list,
    routers: [{ name: 'edge1', url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint }],
  }
}

function entriesOn(emulator: RouterEmulator, family: 'ipv4' | 'ipv6' = 'ipv4') {
  return emulator.tables[family].all().filter((entry) => entry.list === list)
}

function addressesOn(emulator: RouterEmulator): string[] {
  return [...entriesOn(emulator), ...entriesOn(emulator, 'ipv6')].map((entry) => entry.address).sort()
}

async function routerStatus(base: string): Promise<RouterStatus> {
  const reply = await fetch(`${base}/v1/knocs/office`, { headers: bearer })
  return ((await reply.json()) as { routers: Array<{ sync?: RouterStatus }> }).routers[0]!.sync ?? {}
}

async function grant(base: string, address: string, ttl = '1h'): Promise<string> {
  const reply = await postJson(base, '/v1/knocs/office/grants', { address, ttl })
  if (reply.status !== 201) throw new Error(`grant of ${address} failed with ${reply.status}: ${reply.text}`)
  return reply.json!.id as string
}

async function revoke(base: string, id: string): Promise<void> {
  const reply = await fetch(`${base}/v1/grants/${id}`, { method: 'DELETE', headers: bearer })
  if (reply.status !== 204) throw new Error(`revoke of ${id} failed with ${reply.status}`)
}

function writesFor(emulator: RouterEmulator, since: number, address: string) {
  const pattern = new RegExp(`"${address.replaceAll('.', '\\.')}(/\\d+)?"`)
  return emulator.requests.slice(since).filter((request) => request.method !== 'GET' && pattern.test(JSON.stringify(request.body ?? '')))
}

t.test('long outage applies every change once', async (t) => {
  const emulator = await startEmulator(t)
  const relay = new Relay(emulator.port)
  await relay.plug()
  t.teardown(() => relay.unplug())
  const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator, `https://127.0.0.1:${relay.port}`)] })
  const base = await listen(testApp)

  const before = { kept: await grant(base, '192.0.2.1'), revoked: await grant(base, '192.0.2.2'), extended: await grant(base, '192.0.2.3', '10m') }
  await waitFor(() => entriesOn(emulator).length === 3, 3000, 'the first three entries')

  await relay.unplug()
  // Changes keep coming for two seconds while the router is unreachable.
  await revoke(base, before.revoked)
  await grant(base, '192.0.2.3', '2h')
  const fleeting = await grant(base, '192.0.2.4')
  for (let index = 10; index < 40; index++) await grant(base, `192.0.2.${index}`)
  await grant(base, '2001:db8::44')
  await waitFor(async () => (await routerStatus(base)).connected === false, 3000, 'the outage to show in the status')
  const down = await routerStatus(base)
  t.equal(down.lastErrorCode, 208005, 'status shows connection refused (208005)')
  t.ok((down.queueLength ?? 0) > 0, `status shows ${down.queueLength} queued changes`)
  await revoke(base, fleeting)
  await new Promise((resolve) => setTimeout(resolve, 2000))
  t.equal(entriesOn(emulator).length, 3, 'nothing reached the router during the outage')

  const since = emulator.requests.length
  await relay.plug()
  const expected = ['192.0.2.1', '192.0.2.3', ...Array.from({ length: 30 }, (_, index) => `192.0.2.${index + 10}`), '2001:db8::44/128'].sort()
  await waitFor(() => addressesOn(emulator).join() === expected.join(), 5000, 'convergence after the outage')
  await waitFor(async () => (await routerStatus(base)).queueLength === 0, 3000, 'an empty queue')

  t.equal((await routerStatus(base)).connected, true, 'connected again')
  t.equal(new Set(addressesOn(emulator)).size, addressesOn(emulator).length, 'no duplicate entries')
  for (const address of ['192.0.2.10', '192.0.2.39', '2001:db8::44']) {
    t.equal(writesFor(emulator, since, address).length, 1, `${address} was written once`)
  }
  t.equal(writesFor(emulator, since, '192.0.2.4').length, 0, 'the address granted and revoked during the outage was never sent')
  t.equal(emulator.requests.slice(since).filter((request) => request.method === 'DELETE').length, 1, 'one DELETE, for the grant revoked during the outage')
  t.ok(entriesOn(emulator).find((entry) => entry.address === '192.0.2.3')!.timeout! > 3600, 'the extension made during the outage reached the router')
})

t.test('slow router times out, then recovers', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator)] }, { runtime: { routerClient: { timeoutMs: 300, connectTimeoutMs: 300 } } })
  const base = await listen(testApp)
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')

  emulator.setLatency(600)
  await grant(base, '192.0.2.50')
  await waitFor(async () => (await routerStatus(base)).lastErrorCode === 208006, 3000, 'the timeout')
  t.equal((await routerStatus(base)).connected, false, 'status shows the router as not connected')

  emulator.setLatency(0)
  await waitFor(() => entriesOn(emulator).some((entry) => entry.address === '192.0.2.50'), 5000, 'the push after the latency dropped')
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'recovery')
  await waitFor(async () => (await routerStatus(base)).queueLength === 0, 3000, 'an empty queue')
  t.equal(entriesOn(emulator).length, 1, 'exactly one entry')
})

// Each failure the router can reply with, the code it shows in the status,
// and convergence once the router behaves again.
const failures = [
  { kind: 'status500', code: 208102 },
  { kind: 'reset', code: 208000 },
  { kind: 'html', code: 208008 },
  { kind: 'garbage', code: 208401 },
  { kind: 'shape', code: 208402 },
  { kind: 'hang', code: 208006 },
] as const

for (const { kind, code } of failures) {
  t.test(`router ${kind} replies then recovery`, async (t) => {
    const emulator = await startEmulator(t)
    const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator)] }, { runtime: { routerClient: { timeoutMs: 400, connectTimeoutMs: 400 } } })
    const base = await listen(testApp)
    await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')

    emulator.failNext(3, kind, '/rest/ip/firewall/address-list')
    await grant(base, '192.0.2.60')
    await waitFor(async () => (await routerStatus(base)).lastErrorCode !== undefined, 3000, 'the failure in the status')
    t.equal((await routerStatus(base)).lastErrorCode, code, `status shows ${code}`)
    await grant(base, '192.0.2.61')
    await waitFor(() => addressesOn(emulator).join() === '192.0.2.60,192.0.2.61', 5000, 'convergence')
    await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'recovery')
    t.same(addressesOn(emulator), ['192.0.2.60', '192.0.2.61'], 'both addresses once each')
  })
}

t.test('replaced certificate stops pushing until fixed', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator)] })
  const base = await listen(testApp)
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')

  emulator.setCertificate('router-replaced')
  const since = emulator.requests.length
  await grant(base, '192.0.2.70')
  await waitFor(async () => (await routerStatus(base)).lastErrorCode === 208004, 3000, 'the pin mismatch')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(emulator.requests.length, since, 'no request reached the router with the wrong certificate')
  t.equal(entriesOn(emulator).length, 0, 'nothing was pushed')

  emulator.setCertificate('router')
  await waitFor(() => entriesOn(emulator).length === 1, 5000, 'the push once the pinned certificate is back')
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'recovery')
})

t.test('new fingerprint pinned through the API resumes pushing', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [] })
  const base = await listen(testApp)
  const { name: _name, ...definition } = activeKnoc(emulator)
  const put = (body: unknown) => fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  t.equal((await put(definition)).status, 201, 'stored knoc created')
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')

  emulator.setCertificate('router-replaced')
  await grant(base, '192.0.2.71')
  await waitFor(async () => (await routerStatus(base)).lastErrorCode === 208004, 3000, 'the pin mismatch')

  const repinned = { ...definition, routers: [{ ...definition.routers[0]!, fingerprint: emulator.fingerprint }] }
  t.equal((await put(repinned)).status, 200, 'knoc updated with the new fingerprint')
  await waitFor(() => entriesOn(emulator).length === 1, 5000, 'the push with the new pin')
  t.equal(entriesOn(emulator)[0]?.address, '192.0.2.71', 'the grant made during the mismatch arrived')
})

t.test('reboot and hand edits repaired by periodic reconcile', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { reconcileInterval: 1, knocs: [activeKnoc(emulator)] })
  const base = await listen(testApp)
  for (const address of ['192.0.2.80', '192.0.2.81', '192.0.2.82', '2001:db8::80']) await grant(base, address)
  await waitFor(() => addressesOn(emulator).length === 4, 3000, 'four entries')

  emulator.reboot()
  t.same(addressesOn(emulator), [], 'the reboot dropped every timed entry')
  await waitFor(() => addressesOn(emulator).length === 4, 4000, 'the entries restored without a manual sync')

  const [first, second] = entriesOn(emulator)
  emulator.tables.ipv4.remove(first!.id)
  emulator.tables.ipv4.set(second!.id, { timeout: 5 })
  emulator.tables.ipv4.add({ list, address: '198.51.100.99', comment: 'knocklist:office', timeout: 600 })
  await waitFor(
    () => addressesOn(emulator).join() === '192.0.2.80,192.0.2.81,192.0.2.82,2001:db8::80/128' && entriesOn(emulator).every((entry) => (entry.timeout ?? 0) > 3000),
    4000,
    'the hand edits repaired',
  )
  t.pass('a deleted entry came back, a shortened timeout was restored and a stray tagged entry was removed')
})
