// The `.rsc` script for `/import`: adds or refreshes granted entries, never
// empties the list, survives duplicates and removes only its own stale entries.
import t from 'tap'
import { routerOsScriptNames } from '../src/routeros/script/importer.js'
import { renderImportRsc } from '../src/routeros/script/rsc.js'
import type { FeedSnapshot } from '../src/routeros/script/snapshot.js'
import { ManualClock } from './fixtures/routeros/address-list.js'
import { RouterOsInterpreter } from './fixtures/routeros-interpreter/interpreter.js'
import { RouterOsParseError } from './fixtures/routeros-interpreter/parse.js'

const LIST = 'knocknoc-users'
const TAG = routerOsScriptNames('office-ssh').entryComment
const HOUR = 3_600_000

function snapshotAt(now: number, addresses: string[]): FeedSnapshot {
  return {
    knoc: 'office-ssh',
    version: 1,
    entries: addresses.map((address) => ({ address, family: address.includes(':') ? 'ipv6' : 'ipv4', expiresAt: now + HOUR })),
  }
}

function setUp(): { clock: ManualClock; router: RouterOsInterpreter } {
  const clock = new ManualClock()
  return { clock, router: new RouterOsInterpreter({ clock }) }
}

t.test('import adds entries with timeouts', async (t) => {
  const { clock, router } = setUp()
  await router.importFile(renderImportRsc(snapshotAt(clock.now(), ['192.0.2.1', '2001:db8::1']), { addressList: LIST, nowMs: clock.now() }))
  t.same(router.ipv4.all().map((entry) => [entry.list, entry.address, entry.timeout, entry.comment]), [[LIST, '192.0.2.1', 3600, TAG]])
  t.same(router.ipv6.all().map((entry) => [entry.address, entry.timeout]), [['2001:db8::1/128', 3600]])
})

t.test('duplicate entry refreshes instead of aborting', async (t) => {
  const { clock, router } = setUp()
  await router.paste(`/ip firewall address-list add list=${LIST} address=192.0.2.1 timeout=60 comment=${TAG}`)
  const before = router.ipv4.all()[0]?.id
  await router.importFile(renderImportRsc(snapshotAt(clock.now(), ['192.0.2.1', '192.0.2.2']), { addressList: LIST, nowMs: clock.now() }))
  const entries = router.ipv4.all()
  t.same(entries.map((entry) => [entry.address, entry.timeout]), [['192.0.2.1', 3600], ['192.0.2.2', 3600]], 'later lines still ran')
  t.equal(entries[0]?.id, before, 'existing entry kept, not re-added')
})

t.test('removes only managed entries no longer granted', async (t) => {
  const { clock, router } = setUp()
  await router.paste([
    `/ip firewall address-list add list=${LIST} address=192.0.2.9 timeout=60 comment=${TAG}`,
    `/ip firewall address-list add list=${LIST} address=203.0.113.1 comment=admin`,
    `/ip firewall address-list add list=other address=192.0.2.9 comment=${TAG}`,
    `/ipv6 firewall address-list add list=${LIST} address=2001:db8::9 timeout=60 comment=${TAG}`,
  ].join('\n'))
  await router.importFile(renderImportRsc(snapshotAt(clock.now(), ['192.0.2.1']), { addressList: LIST, nowMs: clock.now() }))
  t.same(router.ipv4.all().map((entry) => `${entry.list} ${entry.address}`).sort(), [`${LIST} 192.0.2.1`, `${LIST} 203.0.113.1`, 'other 192.0.2.9'])
  t.same(router.ipv6.all(), [])
})

t.test('address held by an unmanaged entry does not abort', async (t) => {
  const { clock, router } = setUp()
  await router.paste(`/ip firewall address-list add list=${LIST} address=192.0.2.1 comment=admin`)
  await router.importFile(renderImportRsc(snapshotAt(clock.now(), ['192.0.2.1', '192.0.2.2']), { addressList: LIST, nowMs: clock.now() }))
  t.same(router.ipv4.all().map((entry) => [entry.address, entry.comment]), [['192.0.2.1', 'admin'], ['192.0.2.2', TAG]])
})

t.test('download cut short changes nothing', async (t) => {
  const { clock, router } = setUp()
  await router.paste(`/ip firewall address-list add list=${LIST} address=192.0.2.9 timeout=60 comment=${TAG}`)
  const rsc = renderImportRsc(snapshotAt(clock.now(), ['192.0.2.1', '192.0.2.2', '192.0.2.3']), { addressList: LIST, nowMs: clock.now() })
  await t.rejects(router.importFile(rsc.slice(0, Math.floor(rsc.length / 2))), RouterOsParseError)
  t.same(router.ipv4.all().map((entry) => entry.address), ['192.0.2.9'], 'list untouched')
})

t.test('expired entries are left out', async (t) => {
  const { clock, router } = setUp()
  const snapshot = snapshotAt(clock.now(), ['192.0.2.1'])
  await router.importFile(renderImportRsc(snapshot, { addressList: LIST, nowMs: clock.now() + 2 * HOUR }))
  t.same(router.ipv4.all(), [])
})

t.test('hostile list name stays data', async (t) => {
  const { clock, router } = setUp()
  const list = '"; /ip firewall address-list remove [find]; :log warning "pwned$[:log warning x]'
  await router.paste('/ip firewall address-list add list=keep address=203.0.113.1')
  await router.importFile(renderImportRsc(snapshotAt(clock.now(), ['192.0.2.1']), { addressList: list, nowMs: clock.now() }))
  t.same(router.ipv4.all().map((entry) => entry.list).sort(), [list, 'keep'].sort())
  t.notOk(router.logs.some((entry) => entry.message.includes('pwned') || entry.topics.includes('warning')))
})
