// End-to-end tests of the RouterOS importer: the setup script is pasted into
// the test interpreter, its schedulers fire, and the importer fetches over
// real HTTP from a loopback feed server.
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { renderImporterScript, routerOsScriptNames, type RouterOsScriptOptions } from '../src/routeros/script/importer.js'
import { pageCount, remainingSeconds, routerOsAddress } from '../src/routeros/script/pages.js'
import { renderSetupScript } from '../src/routeros/script/setup.js'
import type { FeedSnapshot, FeedSnapshotEntry } from '../src/routeros/script/snapshot.js'
import { ManualClock, type AddressListEntry } from './fixtures/routeros/address-list.js'
import { FeedServer } from './fixtures/routeros-interpreter/feed-server.js'
import { RouterOsInterpreter } from './fixtures/routeros-interpreter/interpreter.js'

const KNOC = 'office-ssh'
const LIST = 'knocknoc-users'
const TAG = routerOsScriptNames(KNOC).entryComment
const HOUR = 3_600_000

interface Setup {
  clock: ManualClock
  server: FeedServer
  router: RouterOsInterpreter
  options: RouterOsScriptOptions
}

interface SetupOptions {
  entries?: FeedSnapshotEntry[]
  addressList?: string
  password?: string
  findStartIsExclusive?: boolean
  tls?: boolean
  trusted?: boolean
  checkCertificate?: boolean
}

const tlsCert = readFileSync(new URL('./fixtures/routeros/tls/router.cert.pem', import.meta.url), 'utf8')
const tlsKey = readFileSync(new URL('./fixtures/routeros/tls/router.key.pem', import.meta.url), 'utf8')

async function setUp(t: Test, options: SetupOptions = {}): Promise<Setup> {
  const clock = new ManualClock()
  const password = options.password ?? 'feed-secret'
  const serverOptions: ConstructorParameters<typeof FeedServer>[0] = {
    username: 'feed',
    password,
    clock,
    snapshot: { knoc: KNOC, version: 1, entries: options.entries ?? sampleEntries(clock.now()) },
  }
  if (options.tls) serverOptions.tls = { cert: tlsCert, key: tlsKey }
  const server = new FeedServer(serverOptions)
  const baseUrl = await server.start()
  t.teardown(() => server.close())

  const routerOptions: ConstructorParameters<typeof RouterOsInterpreter>[0] = { clock, findStartIsExclusive: options.findStartIsExclusive ?? true }
  if (options.trusted ?? true) routerOptions.trustedCertificates = [tlsCert]
  const router = new RouterOsInterpreter(routerOptions)
  const scriptOptions: RouterOsScriptOptions = {
    knoc: KNOC,
    addressList: options.addressList ?? LIST,
    baseUrl,
    feedUsername: 'feed',
    feedPassword: password,
    pollIntervalSeconds: 60,
    checkCertificate: options.checkCertificate ?? true,
  }
  await router.paste(renderSetupScript(scriptOptions))
  return { clock, server, router, options: scriptOptions }
}

function sampleEntries(now: number): FeedSnapshotEntry[] {
  return [
    { address: '192.0.2.1', family: 'ipv4', expiresAt: now + HOUR },
    { address: '192.0.2.7', family: 'ipv4', expiresAt: now + 2 * HOUR },
    { address: '198.51.100.0/24', family: 'ipv4', expiresAt: now + 3 * HOUR },
    { address: '2001:db8::1', family: 'ipv6', expiresAt: now + HOUR },
    { address: '2001:db8:1::/48', family: 'ipv6', expiresAt: now + 4 * HOUR },
  ]
}

function manyEntries(count: number, now: number): FeedSnapshotEntry[] {
  const entries: FeedSnapshotEntry[] = []
  for (let index = 0; index < count; index += 1) {
    if (index % 10 === 9) {
      entries.push({ address: `2001:db8:${(index >> 16).toString(16)}:${(index & 0xffff).toString(16)}::1`, family: 'ipv6', expiresAt: now + HOUR + index * 1000 })
    } else {
      entries.push({ address: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, family: 'ipv4', expiresAt: now + HOUR + index * 1000 })
    }
  }
  return entries
}

function managed(router: RouterOsInterpreter, list = LIST): AddressListEntry[] {
  const mine = (entry: AddressListEntry): boolean => entry.list === list && entry.comment === TAG
  return [...router.ipv4.find(mine), ...router.ipv6.find(mine)]
}

function warnings(router: RouterOsInterpreter): string[] {
  return router.logs.filter((entry) => entry.topics.includes('warning') || entry.topics.includes('error')).map((entry) => entry.message)
}

// Checks that the managed entries are exactly the snapshot's entries with time left, with timeouts within 2 s of the remaining time.
function assertInStep(t: Test, setup: Setup, list = LIST): void {
  const now = setup.clock.now()
  const expected = new Map<string, number>()
  for (const entry of setup.server.snapshot.entries) {
    const seconds = remainingSeconds(entry.expiresAt, now)
    if (seconds > 0) expected.set(routerOsAddress(entry), seconds)
  }
  const actual = managed(setup.router, list)
  t.equal(actual.length, expected.size, `${expected.size} managed entries`)
  let wrong = 0
  for (const entry of actual) {
    const seconds = expected.get(entry.address)
    if (seconds === undefined || entry.timeout === undefined || Math.abs(entry.timeout - seconds) > 2) wrong += 1
  }
  t.equal(wrong, 0, 'every managed entry is in the snapshot with its remaining time')
  t.same(setup.router.ipv4.find((entry) => entry.address.includes(':')), [], 'no IPv6 address in the IPv4 table')
}

function bump(server: FeedServer, entries: ReadonlyArray<FeedSnapshotEntry>): void {
  server.snapshot = { knoc: server.snapshot.knoc, version: server.snapshot.version + 1, entries }
}

t.test('setup installs script and schedulers with policies', async (t) => {
  const { router } = await setUp(t)
  const names = routerOsScriptNames(KNOC)
  t.same(router.scripts.map((script) => script.name), [names.script])
  t.same(router.scripts[0]?.policy, ['read', 'write', 'test'])
  const startup = router.schedulers.find((scheduler) => scheduler.name === names.startupScheduler)
  const poll = router.schedulers.find((scheduler) => scheduler.name === names.pollScheduler)
  t.equal(startup?.startTime, 'startup')
  t.equal(startup?.interval, 0)
  t.equal(poll?.interval, 60)
  t.same(poll?.policy, ['read', 'write', 'test'])
  t.equal(startup?.onEvent, names.script)
})

t.test('setup script warnings fit the URL', async (t) => {
  const render = (baseUrl: string, checkCertificate: boolean) =>
    renderSetupScript({ knoc: KNOC, addressList: LIST, baseUrl, feedUsername: 'feed', feedPassword: 'feed-secret', pollIntervalSeconds: 60, checkCertificate })
  const warnings = (script: string) => script.split('\n').filter((line) => line.startsWith('# WARNING:'))

  const loopback = warnings(render('http://127.0.0.1:8080', false))
  t.equal(loopback.length, 2, 'a loopback HTTP URL gets two warnings')
  t.match(loopback[0], 'set server.publicUrl', 'one says to set server.publicUrl')
  t.match(loopback[1], 'plain HTTP', 'one says the URL is plain HTTP')
  t.notMatch(loopback.join('\n'), 'certificate checks are off', 'no certificate warning for plain HTTP')
  t.equal(warnings(render('https://[::1]:8443', true)).length, 1, 'IPv6 loopback is unreachable too')
  t.same(warnings(render('https://knocklist.example.net', true)), [], 'a public HTTPS URL with checks gets none')
  t.match(warnings(render('https://knocklist.example.net', false)).join('\n'), 'certificate checks are off', 'HTTPS without checks is flagged')
})

t.test('setup pasted twice leaves one install', async (t) => {
  const setup = await setUp(t)
  await setup.router.paste(renderSetupScript(setup.options))
  t.equal(setup.router.scripts.length, 1)
  t.equal(setup.router.schedulers.length, 2)
})

t.test('startup run adds every entry with its timeout', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup)
  t.same(warnings(setup.router), [])
  t.ok(setup.router.ipv6.all().some((entry) => entry.address === '2001:db8::1/128'), 'IPv6 host stored with /128 in the IPv6 table')
  t.same(setup.router.skippedRuns, [], 'scheduler policies cover the script')
})

t.test('unchanged version fetches only the version reply', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const ids = managed(setup.router).map((entry) => entry.id)
  setup.server.requests.length = 0
  await setup.router.runPeriodicSchedulers()
  t.same(setup.server.requests, [`/v1/feeds/${KNOC}/routeros/version`])
  t.same(managed(setup.router).map((entry) => entry.id), ids, 'no entry removed and re-added')
})

t.test('new version adds, extends and removes', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const firstId = managed(setup.router).find((entry) => entry.address === '192.0.2.1')?.id
  setup.clock.advance(10 * 60_000)
  const now = setup.clock.now()
  bump(setup.server, [
    { address: '192.0.2.1', family: 'ipv4', expiresAt: now + 8 * HOUR },
    { address: '192.0.2.9', family: 'ipv4', expiresAt: now + HOUR },
    { address: '198.51.100.0/24', family: 'ipv4', expiresAt: setup.server.snapshot.entries[2]?.expiresAt ?? 0 },
    { address: '2001:db8::2', family: 'ipv6', expiresAt: now + HOUR },
  ])
  await setup.router.runPeriodicSchedulers()
  assertInStep(t, setup)
  t.equal(managed(setup.router).find((entry) => entry.address === '192.0.2.1')?.id, firstId, 'extended entry kept its id')
  t.match(setup.router.logs.at(-1)?.message, /version 2: 2 added, 1 updated, 3 removed, 4 managed/)
})

t.test('server down changes nothing and warns once', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const before = managed(setup.router)
  await setup.server.close()
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router), before)
  t.equal(warnings(setup.router).length, 1)
  t.match(warnings(setup.router)[0], /knocklist office-ssh: fetching the version reply failed; address list left unchanged/)
})

t.test('entries expire on the router while the server is down', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  await setup.server.close()
  setup.clock.advance(HOUR + 1000)
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router).map((entry) => entry.address).sort(), ['192.0.2.7', '198.51.100.0/24', '2001:db8:1::/48'])
})

t.test('wrong feed password changes nothing', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const before = managed(setup.router)
  bump(setup.server, [])
  setup.server.alter = (_path, reply) => ({ ...reply, status: 401, body: 'unauthorized\n' })
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router), before)
  t.equal(warnings(setup.router).length, 1)
})

const brokenPages: Array<[string, (body: string) => string, RegExp]> = [
  ['page cut short mid-line', (body) => body.slice(0, body.indexOf('\n', body.indexOf('\n') + 1) + 4), /page 1 is cut short/],
  ['page cut at a line end', (body) => body.slice(0, body.lastIndexOf('end\n')), /page 1 is cut short/],
  ['page garbled entry', (body) => body.replace('192.0.2.7', '192.0.2.777'), /page 1 has a garbled entry line/],
  ['page with IPv6 marked IPv4', (body) => body.replace('6 2001:db8::1/128', '4 2001:db8::1/128'), /garbled entry line/],
  ['page with an extra entry', (body) => body.replace('end\n', '4 192.0.2.200 60\nend\n'), /more entries than its header states/],
  ['page with a missing entry', (body) => body.replace(/4 192\.0\.2\.7 \d+\n/, ''), /fewer entries than its header states/],
  ['empty page', () => '', /page 1 is empty or cut short/],
  ['page of the wrong knoc', (body) => body.replace(`knocklist-page 1 ${KNOC}`, 'knocklist-page 1 other'), /page 1 is garbled/],
  ['HTML error page', () => '<html><body>502 Bad Gateway</body></html>\n', /page 1 is garbled/],
  ['data after the end line', (body) => `${body}4 192.0.2.200 60\n`, /data after its end line/],
]

for (const [name, cut, message] of brokenPages) {
  t.test(`${name} changes nothing`, async (t) => {
    const setup = await setUp(t)
    await setup.router.runStartupSchedulers()
    const before = managed(setup.router)
    bump(setup.server, setup.server.snapshot.entries.slice(1))
    setup.server.alter = (path, reply) => (path.includes('/pages/') ? { ...reply, body: cut(reply.body) } : undefined)
    await setup.router.runPeriodicSchedulers()
    t.same(managed(setup.router), before, 'list unchanged')
    t.equal(warnings(setup.router).length, 1, 'one warning')
    t.match(warnings(setup.router)[0], message)
  })
}

const brokenVersions: Array<[string, (body: string) => string]> = [
  ['empty version reply', () => ''],
  ['version reply without end line', (body) => body.replace('end\n', '')],
  ['version reply with a negative count', (body) => body.replace(/ (\d+)\n/, ' -$1\n')],
  ['version reply with leading zeros', (body) => body.replace(/ (\d+) (\d+)\n/, ' 0$1 $2\n')],
]

for (const [name, cut] of brokenVersions) {
  t.test(`${name} changes nothing`, async (t) => {
    const setup = await setUp(t)
    await setup.router.runStartupSchedulers()
    const before = managed(setup.router)
    bump(setup.server, setup.server.snapshot.entries.slice(1))
    setup.server.alter = (path, reply) => (path.endsWith('/version') ? { ...reply, body: cut(reply.body) } : undefined)
    await setup.router.runPeriodicSchedulers()
    t.same(managed(setup.router), before, 'list unchanged')
    t.equal(warnings(setup.router).length, 1, 'one warning')
    t.match(warnings(setup.router)[0], /version reply/)
  })
}

t.test('CRLF line ends and a missing final newline', async (t) => {
  const setup = await setUp(t)
  setup.server.alter = (_path, reply) => ({ ...reply, body: reply.body.replaceAll('\n', '\r\n').replace(/\r\n$/, '') })
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup)
  t.same(warnings(setup.router), [])
})

t.test('snapshot change between pages changes nothing', async (t) => {
  const setup = await setUp(t, { entries: manyEntries(2500, Date.UTC(2024, 0, 1)) })
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup)
  const before = managed(setup.router)
  bump(setup.server, manyEntries(1200, setup.clock.now()))
  setup.server.beforeReply = (path) => {
    if (path.includes('/pages/2')) bump(setup.server, manyEntries(1100, setup.clock.now()))
  }
  await setup.router.runPeriodicSchedulers()
  t.equal(managed(setup.router).length, before.length, 'list unchanged')
  t.equal(warnings(setup.router).length, 1)
  t.match(warnings(setup.router)[0], /the feed changed while reading page 2, next run retries/)

  setup.server.beforeReply = undefined
  await setup.router.runPeriodicSchedulers()
  assertInStep(t, setup)
})

t.test('20,000 entries across pages', async (t) => {
  const setup = await setUp(t, { entries: manyEntries(20_000, Date.UTC(2024, 0, 1)) })
  t.equal(pageCount(setup.server.snapshot), 20)
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup)
  t.same(warnings(setup.router), [])
  t.equal(setup.server.requests.length, 21, 'version reply and 20 pages')
})

t.test('empty knoc removes managed entries and keeps unmanaged ones', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  await setup.router.paste([
    `/ip firewall address-list add list=${LIST} address=203.0.113.5 comment=admin`,
    `/ip firewall address-list add list=other address=192.0.2.1 comment=${TAG}`,
    `/ipv6 firewall address-list add list=${LIST} address=2001:db8:ff::1`,
  ].join('\n'))
  bump(setup.server, [])
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router), [])
  t.same(setup.router.ipv4.all().map((entry) => `${entry.list} ${entry.address}`).sort(), [`${LIST} 203.0.113.5`, 'other 192.0.2.1'])
  t.same(setup.router.ipv6.all().map((entry) => entry.address), ['2001:db8:ff::1/128'])
  t.same(warnings(setup.router), [])
})

t.test('address held by an unmanaged entry is left alone', async (t) => {
  const setup = await setUp(t)
  await setup.router.paste(`/ip firewall address-list add list=${LIST} address=192.0.2.1 comment=admin`)
  await setup.router.runStartupSchedulers()
  t.same(warnings(setup.router), [])
  t.equal(setup.router.ipv4.find((entry) => entry.address === '192.0.2.1')[0]?.comment, 'admin')
  setup.server.requests.length = 0
  await setup.router.runPeriodicSchedulers()
  t.equal(setup.server.requests.length, 1, 'next run sees no change')
})

t.test('hostile list name and password', async (t) => {
  const list = 'x" ; /system reset-configuration ; :put "$[:log warning pwned]\\$(1)#?{}\r\n\u0000é'
  const password = `p'a"ss$klUser[:log warning pwned];\\#?`
  const setup = await setUp(t, { addressList: list, password })
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup, list)
  t.same(warnings(setup.router), [])
  t.notOk(setup.router.logs.some((entry) => entry.message.includes('pwned')), 'nothing in the values ran')
  t.same(setup.router.codeFromData, [])
})

t.test('managed entry deleted by hand comes back', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const victim = managed(setup.router).find((entry) => entry.address === '192.0.2.7')
  setup.router.ipv4.remove(victim?.id ?? '')
  await setup.router.runPeriodicSchedulers()
  assertInStep(t, setup)
})

t.test('drifted timeout is refreshed on the next version', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const entry = managed(setup.router).find((item) => item.address === '192.0.2.7')
  setup.router.ipv4.set(entry?.id ?? '', { timeout: 60 })
  bump(setup.server, setup.server.snapshot.entries)
  await setup.router.runPeriodicSchedulers()
  assertInStep(t, setup)
})

t.test('reboot drops timed entries and the startup run restores them', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  await setup.router.reboot()
  assertInStep(t, setup)
  t.equal(setup.server.requests.filter((path) => path.includes('/pages/')).length, 2, 'full run after the reboot')
})

t.test('second run while one is active is skipped', async (t) => {
  const setup = await setUp(t)
  let release: () => void = () => {}
  let arrived: () => void = () => {}
  const replyDelay = new Promise<void>((resolve) => (release = resolve))
  const reached = new Promise<void>((resolve) => (arrived = resolve))
  setup.server.beforeReply = async (path) => {
    if (path.endsWith('/version') && setup.server.requests.length === 1) {
      arrived()
      await replyDelay
    }
  }
  const first = setup.router.runStartupSchedulers()
  await reached
  await setup.router.runPeriodicSchedulers()
  release()
  await first
  t.equal(setup.router.logs.filter((entry) => /previous run still active, this run skipped/.test(entry.message)).length, 1)
  t.equal(setup.server.requests.length, 2, 'the skipped run fetched nothing')
  assertInStep(t, setup)
})

t.test('scheduler lacking the script policies does not run it', async (t) => {
  const setup = await setUp(t)
  await setup.router.paste(`/system scheduler add name=weak interval=30s on-event=${routerOsScriptNames(KNOC).script} policy=read,write`)
  await setup.router.runPeriodicSchedulers()
  t.same(setup.router.skippedRuns, [{ scheduler: 'weak', script: routerOsScriptNames(KNOC).script }])
  t.equal(setup.server.requests.filter((path) => path.endsWith('/version')).length, 1, 'only the allowed scheduler fetched')
})

t.test('HTTPS with the CA imported', async (t) => {
  const setup = await setUp(t, { tls: true })
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup)
  t.same(warnings(setup.router), [])
})

t.test('HTTPS without the CA fails closed', async (t) => {
  const setup = await setUp(t, { tls: true, trusted: false })
  await setup.router.runStartupSchedulers()
  t.same(managed(setup.router), [])
  t.match(warnings(setup.router), [/fetching the version reply failed/])
})

t.test('HTTPS with certificate checks opted out', async (t) => {
  const setup = await setUp(t, { tls: true, trusted: false, checkCertificate: false })
  await setup.router.runStartupSchedulers()
  assertInStep(t, setup)
})

t.test('expired entry in the snapshot is not added', async (t) => {
  const now = Date.UTC(2024, 0, 1)
  const setup = await setUp(t, { entries: [{ address: '192.0.2.1', family: 'ipv4', expiresAt: now - 1000 }, { address: '192.0.2.2', family: 'ipv4', expiresAt: now + HOUR }] })
  await setup.router.runStartupSchedulers()
  t.same(managed(setup.router).map((entry) => entry.address), ['192.0.2.2'])
})

t.test('importer source runs no downloaded text', async (t) => {
  const setup = await setUp(t)
  const source = renderImporterScript(setup.options)
  t.notMatch(source, /:parse|:execute|\/import|dst-path|output=file|:onerror|:jobname|:deserialize|idle-timeout|http-auth-scheme/)
})

// Bugs other importers hit, each as the behaviour that must hold.

t.test('feed past the 64 KB fetch cap is not half applied', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const before = managed(setup.router)
  bump(setup.server, [])
  setup.server.alter = (path, reply) => (path.includes('/pages/') ? { ...reply, body: reply.body.replace('\nend\n', `\n${'4 10.0.0.1 60\n'.repeat(6000)}end\n`) } : undefined)
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router), before)
  t.match(warnings(setup.router), [/page 1 (is cut short|has more entries)/])
})

t.test('200 with an empty body does not empty the list', async (t) => {
  const setup = await setUp(t)
  await setup.router.runStartupSchedulers()
  const before = managed(setup.router)
  setup.server.alter = (_path, reply) => ({ ...reply, body: '' })
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router), before)
  t.equal(warnings(setup.router).length, 1)
})

t.test('reply without Content-Length changes nothing', async (t) => {
  const setup = await setUp(t)
  setup.server.alter = (_path, reply) => ({ ...reply, contentLength: false })
  await setup.router.runStartupSchedulers()
  t.same(managed(setup.router), [])
  t.equal(warnings(setup.router).length, 1)
  t.match(setup.router.fetches[0]?.detail, /no content-length/)
})

t.test('list never empty while an update downloads', async (t) => {
  const setup = await setUp(t, { entries: manyEntries(1500, Date.UTC(2024, 0, 1)) })
  await setup.router.runStartupSchedulers()
  bump(setup.server, manyEntries(1400, setup.clock.now()))
  const seen: number[] = []
  setup.server.beforeReply = () => {
    seen.push(managed(setup.router).length)
  }
  await setup.router.runPeriodicSchedulers()
  t.same(seen, [1500, 1500, 1500], 'all entries present during every download')
  assertInStep(t, setup)
})

t.test('host with /32 or /128 in the feed does not churn', async (t) => {
  const now = Date.UTC(2024, 0, 1)
  const setup = await setUp(t, {
    entries: [
      { address: '192.0.2.1/32', family: 'ipv4', expiresAt: now + HOUR },
      { address: '2001:DB8::1/128', family: 'ipv6', expiresAt: now + HOUR },
    ],
  })
  await setup.router.runStartupSchedulers()
  const ids = managed(setup.router).map((entry) => entry.id)
  t.same(managed(setup.router).map((entry) => entry.address), ['192.0.2.1', '2001:db8::1/128'])
  bump(setup.server, setup.server.snapshot.entries)
  await setup.router.runPeriodicSchedulers()
  t.same(managed(setup.router).map((entry) => entry.id), ids, 'same entries after a full run')
  t.same(warnings(setup.router), [])
})

for (const findStartIsExclusive of [true, false]) {
  t.test(`first entry found with ${findStartIsExclusive ? 'exclusive' : 'inclusive'} :find start`, async (t) => {
    const setup = await setUp(t, { findStartIsExclusive })
    await setup.router.runStartupSchedulers()
    assertInStep(t, setup)
    const ids = managed(setup.router).map((entry) => entry.id)
    bump(setup.server, setup.server.snapshot.entries)
    await setup.router.runPeriodicSchedulers()
    t.same(managed(setup.router).map((entry) => entry.id), ids, 'no entry re-added, the first one included')
    t.same(warnings(setup.router), [])
  })
}

t.test('step counts at 1,000 and 10,000 entries', async (t) => {
  const unchangedSteps: number[] = []
  for (const size of [1000, 10_000]) {
    const setup = await setUp(t, { entries: manyEntries(size, Date.UTC(2024, 0, 1)) })
    await setup.router.runStartupSchedulers()
    let start = setup.router.steps
    await setup.router.runPeriodicSchedulers()
    const unchanged = setup.router.steps - start
    unchangedSteps.push(unchanged)

    const entries = setup.server.snapshot.entries.map((entry, index) => (index % 100 === 0 ? { ...entry, expiresAt: entry.expiresAt + 4 * HOUR } : entry))
    bump(setup.server, entries)
    start = setup.router.steps
    await setup.router.runPeriodicSchedulers()
    const changed = setup.router.steps - start
    assertInStep(t, setup)
    t.comment(`${size} entries: ${unchanged} steps when nothing changed, ${changed} steps when 1 % changed`)
  }
  t.equal(unchangedSteps[0], unchangedSteps[1], 'no-change run does not grow with the list')
})
