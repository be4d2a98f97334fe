import { Writable } from 'node:stream'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { RuntimeOptions } from '../src/runtime.js'
import { adminToken, buildTestApp, listen, postJson, waitFor } from './helpers/app.js'
import { SERVICE_USER, startRouterEmulator, type RouterEmulator, type RouterEmulatorOptions } from './fixtures/routeros/emulator.js'

const bearer = { authorization: `Bearer ${adminToken}` }
const list = 'knocklist-office'

async function startEmulator(t: Test, options: RouterEmulatorOptions = {}): Promise<RouterEmulator> {
  const emulator = await startRouterEmulator(options)
  t.teardown(() => emulator.close())
  return emulator
}

function activeKnoc(emulator: RouterEmulator, overrides: Record<string, unknown> = {}) {
  return {
    name: 'office',
    mode: 'active',
    addressList: list,
    prefix: { ipv4: 24, ipv6: 64 },
    routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint, ...overrides }],
  }
}

async function setup(t: Test, emulatorOptions: RouterEmulatorOptions = {}, routerOverrides: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  const emulator = await startEmulator(t, emulatorOptions)
  const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator, routerOverrides)], ...config })
  const base = await listen(testApp)
  return { emulator, testApp, base }
}

function entriesOn(emulator: RouterEmulator, family: 'ipv4' | 'ipv6' = 'ipv4') {
  return emulator.tables[family].all().filter((entry) => entry.list === list)
}

function requestsOf(emulator: RouterEmulator, method: string) {
  return emulator.requests.filter((request) => request.method === method && request.path.includes('address-list'))
}

async function routerStatus(base: string) {
  const reply = await fetch(`${base}/v1/knocs/office`, { headers: bearer })
  return ((await reply.json()) as { routers: Array<{ name: string; sync?: Record<string, unknown> }> }).routers[0]!.sync!
}

t.test('grant reaches the router within a second', async (t) => {
  const { emulator, base } = await setup(t)
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')

  const started = Date.now()
  const created = await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.1/32', ttl: '1h', user: 'alice' })
  t.equal(created.status, 201, 'grant acknowledged')
  await waitFor(() => entriesOn(emulator).length === 1, 1000, 'the PUT')
  t.ok(Date.now() - started < 1000, 'on the router within a second')

  const [entry] = entriesOn(emulator)
  t.equal(entry?.address, '192.0.2.1', 'IPv4 host without /32')
  t.ok(entry!.timeout! > 3590 && entry!.timeout! <= 3600, `timeout is the remaining time (${entry?.timeout} s)`)
  t.equal(entry?.comment, 'knocklist:office alice', 'comment tags the entry with knoc and user')
  const put = requestsOf(emulator, 'PUT')[0]
  t.same(Object.keys(put?.body as object).sort(), ['address', 'comment', 'list', 'timeout'], 'only writable fields are sent')
})

t.test('IPv6 grant goes to the ipv6 menu', async (t) => {
  const { emulator, base } = await setup(t)
  await postJson(base, '/v1/knocs/office/grants', { address: '2001:DB8::1', ttl: '10m' })
  await postJson(base, '/v1/knocs/office/grants', { address: '2001:db8:1::/64', ttl: '10m' })
  await waitFor(() => entriesOn(emulator, 'ipv6').length === 2, 2000, 'two IPv6 entries')
  t.same(entriesOn(emulator, 'ipv6').map((entry) => entry.address).sort(), ['2001:db8:1::/64', '2001:db8::1/128'], 'stored as RouterOS stores them')
  t.equal(entriesOn(emulator, 'ipv4').length, 0, 'nothing in the IPv4 table')
  t.ok(requestsOf(emulator, 'PUT').every((request) => request.path.startsWith('/rest/ipv6/')), 'PUT to /rest/ipv6/firewall/address-list')

  // The router returns /128 on hosts; a reconcile must not see that as drift.
  const synced = await postJson(base, '/v1/knocs/office/sync', {})
  t.same((synced.json?.routers as Array<{ result: unknown }>)[0]?.result, { added: 0, updated: 0, removed: 0, unchanged: 2 }, 'a reconcile right after changes nothing')
})

t.test('extend, revoke and expiry', async (t) => {
  const { emulator, base } = await setup(t)
  const first = await postJson(base, '/v1/knocs/office/grants', { address: '198.51.100.7', ttl: '10m', user: 'alice' })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the add')

  const second = await postJson(base, '/v1/knocs/office/grants', { address: '198.51.100.7', ttl: '2h', user: 'bob' })
  await waitFor(() => (entriesOn(emulator)[0]?.timeout ?? 0) > 3600, 2000, 'the extend')
  t.equal(requestsOf(emulator, 'PATCH').length, 1, 'extend is one PATCH')
  t.equal(entriesOn(emulator)[0]?.comment, 'knocklist:office alice,bob', 'both users named')

  await fetch(`${base}/v1/grants/${second.json?.id}`, { method: 'DELETE', headers: bearer })
  await waitFor(() => (entriesOn(emulator)[0]?.timeout ?? 9999) <= 600, 2000, 'the timeout falling back')
  t.equal(entriesOn(emulator).length, 1, "alice's grant keeps the entry")

  await fetch(`${base}/v1/grants/${first.json?.id}`, { method: 'DELETE', headers: bearer })
  await waitFor(() => entriesOn(emulator).length === 0, 2000, 'the removal')
  t.equal(requestsOf(emulator, 'DELETE').length, 1, 'revoke of the last grant is one DELETE')
  t.match(requestsOf(emulator, 'DELETE')[0]?.path, /address-list\/\*[0-9A-F]+$/, 'DELETE by id with its *')

  await postJson(base, '/v1/knocs/office/grants', { address: '198.51.100.8', ttl: 1 })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the short grant')
  await waitFor(() => requestsOf(emulator, 'DELETE').length === 2, 3000, 'the removal at expiry')
  t.equal(entriesOn(emulator).length, 0, 'expired entry is gone')
})

t.test('grant then revoke before the push sends nothing', async (t) => {
  const { emulator, base } = await setup(t, { latencyMs: 150 })
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.10', ttl: '1h' })
  const fleeting = await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.11', ttl: '1h' })
  await fetch(`${base}/v1/grants/${fleeting.json?.id}`, { method: 'DELETE', headers: bearer })
  await waitFor(() => entriesOn(emulator).length === 1, 3000, 'the first grant')
  await new Promise((resolve) => setTimeout(resolve, 400))
  const touched = emulator.requests.filter((request) => JSON.stringify(request.body ?? '').includes('192.0.2.11'))
  t.same(touched, [], 'no request for the address granted and revoked before its push')
})

t.test('unmanaged entries are left alone', async (t) => {
  const emulator = await startEmulator(t)
  emulator.tables.ipv4.add({ list, address: '203.0.113.1', comment: 'admin static' })
  emulator.tables.ipv4.add({ list, address: '203.0.113.2' })
  emulator.tables.ipv4.add({ list: 'other-list', address: '203.0.113.3', comment: 'knocklist:office' })
  emulator.tables.ipv4.add({ list, address: '203.0.113.4', comment: 'knocklist:office', timeout: 600 })
  emulator.tables.ipv4.add({ list, address: 'vpn.example.net' })
  const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator)] })
  const base = await listen(testApp)

  const synced = await postJson(base, '/v1/knocs/office/sync', {})
  const result = (synced.json?.routers as Array<{ result: { removed: number } }>)[0]?.result
  t.equal(result?.removed, 1, 'only the stale tagged entry is removed')
  const left = emulator.tables.ipv4.all().map((entry) => `${entry.list} ${entry.address}`).sort()
  t.same(left, [`${list} 203.0.113.1`, `${list} 203.0.113.2`, `${list} vpn.example.net`, 'other-list 203.0.113.3'], 'static, untagged, DNS and other-list entries stay')
})

t.test('reboot repaired by reconcile', async (t) => {
  const { emulator, base } = await setup(t)
  for (const address of ['192.0.2.20', '192.0.2.21', '2001:db8::20']) await postJson(base, '/v1/knocs/office/grants', { address, ttl: '1h' })
  await waitFor(() => entriesOn(emulator).length === 2 && entriesOn(emulator, 'ipv6').length === 1, 2000, 'three entries')

  emulator.reboot()
  t.equal(entriesOn(emulator).length, 0, 'the reboot dropped the timed entries')
  const before = emulator.requests.length
  const synced = await postJson(base, '/v1/knocs/office/sync', {})
  t.equal(synced.status, 200, 'sync returns 200')
  t.same((synced.json?.routers as Array<{ result: unknown }>)[0]?.result, { added: 3, updated: 0, removed: 0, unchanged: 0 }, 'three entries added back')
  const sent = emulator.requests.slice(before)
  t.equal(sent.filter((request) => request.method === 'GET' && request.path.includes('address-list')).length, 2, 'one read per family')
  t.equal(sent.filter((request) => request.method === 'PUT').length, 3, 'one PUT per difference')
  t.ok(sent.filter((request) => request.method === 'GET').every((request) => !/address-list\/\*/.test(request.path)), 'no per-id reads')

  // A later grant after the reboot must be added, not patched by a stale id.
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.20', ttl: '2h' })
  await waitFor(() => (entriesOn(emulator).find((entry) => entry.address === '192.0.2.20')?.timeout ?? 0) > 3600, 2000, 'the extend after reboot')
})

t.test('reboot between reconciles noticed by uptime', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [activeKnoc(emulator)] }, { runtime: { heartbeatIntervalMs: 100 } })
  const base = await listen(testApp)
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.30', ttl: '1h' })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the add')
  // RouterOS reports uptime in whole seconds, so let some pass first.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  emulator.reboot()
  await waitFor(() => entriesOn(emulator).length === 1, 3000, 'the entry restored after the reboot')
  t.pass('the heartbeat saw the uptime drop and reconciled')
})

t.test('already have such entry means exists', async (t) => {
  const { emulator, base } = await setup(t)
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')
  // The entry appears behind knocklist's back, so its id is unknown here.
  emulator.tables.ipv4.add({ list, address: '192.0.2.40', comment: 'knocklist:office', timeout: 60 })
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.40', ttl: '1h' })
  await waitFor(() => requestsOf(emulator, 'PATCH').length === 1, 2000, 'the PATCH after the duplicate')
  t.equal(entriesOn(emulator).length, 1, 'no second entry')
  t.ok(entriesOn(emulator)[0]!.timeout! > 3500, 'the existing entry got the new timeout')
  t.equal((await routerStatus(base)).connected, true, 'the router still counts as connected')
  t.equal((await routerStatus(base)).lastErrorCode, undefined, 'no error recorded')
})

t.test('router down then back applies every change once', async (t) => {
  const { emulator, base } = await setup(t)
  await waitFor(async () => (await routerStatus(base)).connected === true, 3000, 'the start reconcile')
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.50', ttl: '1h' })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the first add')

  emulator.failNext(6, 'reset')
  const whileDown = await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.51', ttl: '1h' })
  t.equal(whileDown.status, 201, 'grants are acknowledged while the router is down')
  const listed = (await fetch(`${base}/v1/knocs/office/grants`, { headers: bearer }).then((reply) => reply.json())) as { grants: Array<{ id: string; address: string }> }
  await fetch(`${base}/v1/grants/${listed.grants.find((grant) => grant.address === '192.0.2.50')!.id}`, { method: 'DELETE', headers: bearer })
  for (const address of ['192.0.2.52', '192.0.2.53']) await postJson(base, '/v1/knocs/office/grants', { address, ttl: '1h' })

  await waitFor(async () => (await routerStatus(base)).connected === false, 3000, 'the failure to show')
  const down = await routerStatus(base)
  t.equal(down.lastErrorCode, 208000, 'status shows the error code')
  t.ok((down.queueLength as number) >= 1, 'status shows queued changes')

  await waitFor(() => entriesOn(emulator).map((entry) => entry.address).sort().join() === '192.0.2.51,192.0.2.52,192.0.2.53', 5000, 'convergence')
  await waitFor(async () => (await routerStatus(base)).queueLength === 0, 2000, 'an empty queue')
  const addresses = entriesOn(emulator).map((entry) => entry.address)
  t.equal(new Set(addresses).size, addresses.length, 'no duplicates')
  t.equal((await routerStatus(base)).connected, true, 'connected again')
})

t.test('wrong password shows 208001 in status and validate', async (t) => {
  const { base } = await setup(t, {}, { password: 'wrong-password' })
  await waitFor(async () => (await routerStatus(base)).connected === false, 3000, 'the failure')
  const status = await routerStatus(base)
  t.equal(status.lastErrorCode, 208001, 'status code 208001')
  t.equal(status.lastErrorDocs, 'docs/errors/208001.md', 'status links the page')

  const validated = await postJson(base, '/v1/knocs/office/validate', {})
  const router = (validated.json?.routers as Array<Record<string, unknown>>)[0]!
  t.equal(router.ok, false, 'validation fails')
  t.equal(router.code, 208001, 'validation names 208001')
  t.equal(router.docs, 'docs/errors/208001.md', 'validation links the page')
  t.notMatch(validated.text, 'wrong-password', 'the password is not in the reply')
  const knoc = await fetch(`${base}/v1/knocs/office`, { headers: bearer }).then((reply) => reply.text())
  t.notMatch(knoc, 'wrong-password', 'GET /v1/knocs/office hides the password')
})

t.test('validate succeeds on a good router', async (t) => {
  const { base } = await setup(t)
  const validated = await postJson(base, '/v1/knocs/office/validate', {})
  const router = (validated.json?.routers as Array<Record<string, unknown>>)[0]!
  t.equal(router.ok, true, 'validation passes')
  t.ok((router.checks as unknown[]).length >= 4, 'each check is reported')
})

t.test('deleting a stored active knoc removes its entries', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [] })
  const base = await listen(testApp)
  const { name: _name, ...definition } = activeKnoc(emulator)
  const put = await fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(definition) })
  t.equal(put.status, 201, 'knoc created')
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.60', ttl: '1h' })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the add')
  emulator.tables.ipv4.add({ list, address: '192.0.2.61', comment: 'admin entry' })

  const deleted = await fetch(`${base}/v1/knocs/office`, { method: 'DELETE', headers: bearer })
  t.equal(deleted.status, 204, 'knoc deleted')
  await waitFor(() => entriesOn(emulator).length === 1, 3000, 'the managed entry removed')
  t.equal(entriesOn(emulator)[0]?.address, '192.0.2.61', "the admin's entry stays")
})

t.test('changed stored knoc cleans up what it left', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [] })
  const base = await listen(testApp)
  const put = (definition: Record<string, unknown>) =>
    fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(definition) })
  const { name: _name, ...definition } = activeKnoc(emulator)
  const onList = (name: string) => emulator.tables.ipv4.all().filter((entry) => entry.list === name).map((entry) => entry.address)

  t.equal((await put(definition)).status, 201, 'knoc created')
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.70', ttl: '1h' })
  await waitFor(() => onList(list).length === 1, 2000, 'the add')

  // The same list and router with another ttl: the entry stays.
  t.equal((await put({ ...definition, ttl: { default: '2h', max: '1d' } })).status, 200, 'knoc updated')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(onList(list), ['192.0.2.70'], 'an unrelated change keeps the entry')

  // A renamed list: the old list is emptied, the new one filled.
  t.equal((await put({ ...definition, addressList: 'knocklist-renamed' })).status, 200, 'list renamed')
  await waitFor(() => onList(list).length === 0 && onList('knocklist-renamed').length === 1, 3000, 'the move to the new list')
  t.same(onList('knocklist-renamed'), ['192.0.2.70'], 'the grant is on the new list')

  // Passive mode: knocklist no longer writes the router, so it leaves nothing there.
  t.equal((await put({ ...definition, addressList: 'knocklist-renamed', mode: 'passive', routers: [] })).status, 200, 'switched to passive')
  await waitFor(() => onList('knocklist-renamed').length === 0, 3000, 'the entries removed')
  t.pass('a knoc switched to passive leaves no entries on its old router')
})


t.test('edit without password keeps the stored one', async (t) => {
  const emulator = await startEmulator(t)
  const testApp = await buildTestApp(t, { knocs: [] })
  const base = await listen(testApp)
  const put = async (body: Record<string, unknown>) => {
    const reply = await fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: reply.status, json: (await reply.json()) as Record<string, unknown> }
  }
  const { name: _name, routers, ...definition } = activeKnoc(emulator)
  const { password: _password, ...withoutPassword } = routers[0]!
  t.equal((await put({ ...definition, routers })).status, 201, 'knoc created with the password')

  const edited = await put({ ...definition, ttl: { default: '2h', max: '1d' }, routers: [withoutPassword] })
  t.equal(edited.status, 200, 'an edit without the password is accepted')
  const validated = await postJson(base, '/v1/knocs/office/validate', {})
  t.equal((validated.json?.routers as Array<{ ok: boolean }>)[0]?.ok, true, 'the stored password still logs in')

  // A new url or username must come with the password, so an edit cannot send the stored one elsewhere.
  const movedUrl = await put({ ...definition, routers: [{ ...withoutPassword, url: 'https://192.0.2.99' }] })
  t.equal(movedUrl.status, 400, 'a new url without the password is rejected')
  t.equal(movedUrl.json.code, 'KNL_KNOC_INVALID', 'code KNL_KNOC_INVALID')
  t.match(movedUrl.json.message, 'and url changed, so send the password', 'the message names the fix')
  const newUser = await put({ ...definition, routers: [{ ...withoutPassword, username: 'someone-else' }] })
  t.match(newUser.json.message, 'and username changed, so send the password', 'a new username needs the password too')
  // Turning the certificate check off or pinning another certificate would let a man in the middle take the password.
  const insecure = await put({ ...definition, routers: [{ ...withoutPassword, fingerprint: undefined, insecure: true }] })
  t.equal(insecure.status, 400, 'turning off the certificate check without the password is rejected')
  t.match(insecure.json.message, 'and insecure, fingerprint changed, so send the password', 'the message names the changed settings')
  const otherPin = await put({ ...definition, routers: [{ ...withoutPassword, fingerprint: 'ab'.repeat(32) }] })
  t.match(otherPin.json.message, 'and fingerprint changed, so send the password', 'another pinned certificate needs the password')
  const colonPin = (withoutPassword.fingerprint as string).toUpperCase().match(/../g)!.join(':')
  t.equal((await put({ ...definition, ttl: { default: '2h', max: '1d' }, routers: [{ ...withoutPassword, fingerprint: colonPin }] })).status, 200, 'the same fingerprint written with colons keeps the password')
  const newRouter = await put({ ...definition, routers: [{ ...withoutPassword, name: 'edge2' }] })
  t.equal(newRouter.status, 400, 'a new router without a password is rejected')
  t.match(newRouter.json.message, 'router "edge2": password missing; this knoc has no stored router of that name', 'the message names the router and the fix')

  const stored = await fetch(`${base}/v1/knocs/office`, { headers: bearer }).then((reply) => reply.json() as Promise<{ routers: Array<{ url: string }>; ttl: { default: string } }>)
  t.equal(stored.routers[0]?.url, emulator.url, 'the rejected edits changed nothing')
  t.equal(stored.ttl.default, '2h', 'the accepted edit is kept')
})

t.test('switch to passive-plus runs the importer', async (t) => {
  const runs: number[] = []
  const emulator = await startEmulator(t, { scripts: { 'knocklist-office': '# installed by the setup script' }, onScriptRun: () => runs.push(entriesOn(emulator).length) })
  const testApp = await buildTestApp(t, { knocs: [] }, { runtime: { nudgeDebounceMs: 50 } })
  const base = await listen(testApp)
  const put = (body: Record<string, unknown>) =>
    fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((reply) => reply.status)
  const { name: _name, ...definition } = activeKnoc(emulator)
  t.equal(await put(definition), 201, 'active knoc created')
  await postJson(base, '/v1/knocs/office/grants', { address: '192.0.2.80', ttl: '1h', user: 'alice' })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the push')

  t.equal(await put({ ...definition, mode: 'passive-plus' }), 200, 'switched to passive-plus')
  await waitFor(() => runs.length === 1, 3000, 'the importer run')
  t.same(runs, [0], 'the importer runs once, after the pushed entry is removed')
})

// Creates the office knoc through the API on a new server, grants the
// address and waits for it on the router. Returns a PUT of the knoc.
async function storedKnocWithGrant(t: Test, emulator: RouterEmulator, address: string, runtime: Partial<RuntimeOptions> = {}) {
  const testApp = await buildTestApp(t, { knocs: [] }, { runtime })
  const base = await listen(testApp)
  const put = (body: Record<string, unknown>) =>
    fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((reply) => reply.status)
  const { name: _name, ...definition } = activeKnoc(emulator)
  t.equal(await put(definition), 201, 'knoc created')
  await postJson(base, '/v1/knocs/office/grants', { address, ttl: '1h' })
  await waitFor(() => entriesOn(emulator).length === 1, 2000, 'the push')
  return { put }
}

t.test('new router URL empties the old device', async (t) => {
  const emulator = await startEmulator(t)
  // Another device, with a certificate of its own.
  const replacement = await startEmulator(t, { certificate: 'router-replaced' })
  const { put } = await storedKnocWithGrant(t, emulator, '192.0.2.81')

  const { name: _same, ...moved } = activeKnoc(replacement)
  t.equal(await put(moved), 200, 'router moved to a new URL')
  await waitFor(() => entriesOn(emulator).length === 0 && entriesOn(replacement).length === 1, 3000, 'the move')
  t.pass('the old device is emptied and the new one filled')
})

t.test('same router under another URL keeps its entries', async (t) => {
  const emulator = await startEmulator(t)
  const { put } = await storedKnocWithGrant(t, emulator, '192.0.2.82')

  // Another spelling of the same URL, then another host name with the same
  // pinned certificate: both are taken to be the same router.
  const port = new URL(emulator.url).port
  for (const url of [`${emulator.url.toUpperCase().replace('HTTPS', 'https')}/`, `https://localhost:${port}`]) {
    const { name: _same, ...moved } = activeKnoc(emulator, { url })
    t.equal(await put(moved), 200, `router URL changed to ${url}`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal(requestsOf(emulator, 'DELETE').length, 0, `${url}: nothing removed`)
    t.equal(entriesOn(emulator).length, 1, `${url}: the entry stays`)
  }
})

t.test('unreachable old URL is logged and does not hold up the new one', async (t) => {
  const emulator = await startEmulator(t)
  // Another device, with a certificate of its own.
  const replacement = await startEmulator(t, { certificate: 'router-replaced' })
  const lines: string[] = []
  const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } }))
  const { put } = await storedKnocWithGrant(t, emulator, '192.0.2.83', { logger })

  await emulator.close()
  const { name: _same, ...moved } = activeKnoc(replacement)
  t.equal(await put(moved), 200, 'router moved while the old device is down')
  await waitFor(() => entriesOn(replacement).length === 1, 5000, 'the grant on the new device')
  await waitFor(() => lines.some((line) => line.includes('no longer writes failed')), 5000, 'the warning')
  const warning = JSON.parse(lines.find((line) => line.includes('no longer writes failed')) ?? '{}') as Record<string, string>
  t.equal(warning.url, emulator.url, 'the warning names the old URL')
  t.match(warning.removeCommand, '/ip firewall address-list remove', 'and the command to remove the entries by hand')
})
