import t from 'tap'
import { buildTestApp, temporaryDirectory } from './helpers/app.js'
import { ManualClock } from './helpers/clock.js'

const hour = 3600 * 1000

function feedAddresses(testApp: Awaited<ReturnType<typeof buildTestApp>>): string[] {
  return testApp.runtime.context.grants.snapshot('demo').entries.map((entry) => entry.address)
}

t.test('overlapping grants keep the address until the last ends', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const grants = testApp.runtime.context.grants
  await grants.grant('demo', { address: '192.0.2.1', ttl: '4h' }, 'tests')
  await grants.grant('demo', { address: '192.0.2.1', ttl: '2h' }, 'tests')

  const entry = grants.snapshot('demo').entries[0]
  t.equal(entry?.expiresAt, clock.now() + 4 * hour, 'the effective expiry is the later one')

  clock.advance(2 * hour + 1000)
  t.same(feedAddresses(testApp), ['192.0.2.1'], 'still listed after the 2h grant ends')
  t.equal(grants.activeGrantCount('demo'), 1, 'one grant left')

  clock.advance(2 * hour)
  t.same(feedAddresses(testApp), [], 'removed when the 4h grant ends')
})

t.test('two users behind one address', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const grants = testApp.runtime.context.grants
  const alice = await grants.grant('demo', { address: '198.51.100.9', ttl: '1h', user: 'alice' }, 'tests')
  await grants.grant('demo', { address: '198.51.100.9', ttl: '30m', user: 'bob' }, 'tests')

  t.same(grants.snapshot('demo').entries[0]?.users, ['alice', 'bob'], 'both users are named on the entry')
  grants.revoke(alice.id)
  t.same(feedAddresses(testApp), ['198.51.100.9'], "revoking alice's grant keeps bob's access")
  t.same(grants.snapshot('demo').entries[0]?.users, ['bob'], 'only bob is named now')
  t.equal(grants.snapshot('demo').entries[0]?.expiresAt, clock.now() + 30 * 60 * 1000, "the expiry falls back to bob's")
})

t.test('re-grant extends the expiry', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const grants = testApp.runtime.context.grants
  const changes: Array<{ before?: number; after?: number }> = []
  grants.on('change', (change) => changes.push({ before: change.before?.expiresAt, after: change.after?.expiresAt }))

  await grants.grant('demo', { address: '192.0.2.5', ttl: '1h' }, 'tests')
  clock.advance(50 * 60 * 1000)
  await grants.grant('demo', { address: '192.0.2.5', ttl: '1h' }, 'tests')
  t.equal(grants.snapshot('demo').entries[0]?.expiresAt, clock.now() + hour, 'expiry moved to the new grant')
  t.equal(changes.length, 2, 'one change for the add, one for the extend')
  t.ok(changes[1]!.after! > changes[1]!.before!, 'the second change extends')

  clock.advance(20 * 60 * 1000)
  t.same(feedAddresses(testApp), ['192.0.2.5'], 'still listed after the first grant would have ended')
})

t.test('expiry removes from the feed', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const grants = testApp.runtime.context.grants
  const audit = testApp.runtime.context.audit
  // Other services (audit pruning and flushing) share the clock, so grant
  // timers are counted against a baseline with the audit buffer flushed.
  const baseline = clock.pendingTimers
  const grantTimers = () => {
    audit.flush()
    return clock.pendingTimers - baseline
  }
  await grants.grant('demo', { address: '192.0.2.8', ttl: '90s' }, 'tests')
  await grants.grant('demo', { address: '192.0.2.9', ttl: '5m' }, 'tests')
  t.equal(grantTimers(), 1, 'one timer for all grants')

  clock.advance(89_000)
  t.same(feedAddresses(testApp), ['192.0.2.8', '192.0.2.9'], 'both listed before the first expiry')
  clock.advance(1_000)
  t.same(feedAddresses(testApp), ['192.0.2.9'], 'the 90s grant left at its expiry')
  t.equal(grantTimers(), 1, 'the timer moved to the next expiry')
  clock.advance(210_000)
  t.same(feedAddresses(testApp), [], 'the 5m grant left at its expiry')
  t.equal(grantTimers(), 0, 'no timer when nothing is active')
})

t.test('revoked grant does not fire the timer', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const grants = testApp.runtime.context.grants
  const ended: string[] = []
  grants.on('ended', (grant, reason) => ended.push(`${grant.address} ${reason}`))
  const grant = await grants.grant('demo', { address: '192.0.2.10', ttl: '1m' }, 'tests')
  grants.revoke(grant.id)
  clock.advance(120_000)
  t.same(ended, ['192.0.2.10 revoked'], 'ended once, by revocation')
})

t.test('expiry while the server is down', async (t) => {
  const clock = new ManualClock()
  const dataDir = temporaryDirectory(t)
  const first = await buildTestApp(t, {}, { clock, dataDir })
  await first.runtime.context.grants.grant('demo', { address: '192.0.2.20', ttl: '10m' }, 'tests')
  await first.runtime.context.grants.grant('demo', { address: '192.0.2.21', ttl: '2h' }, 'tests')
  await first.app.close()
  await first.runtime.close()

  clock.advance(30 * 60 * 1000)
  const second = await buildTestApp(t, {}, { clock, dataDir })
  t.same(feedAddresses(second), ['192.0.2.21'], 'the grant that expired during the downtime is gone at start')
  const row = second.runtime.database.prepare("SELECT end_reason FROM grants WHERE address = '192.0.2.20'").get() as { end_reason: string }
  t.equal(row.end_reason, 'expired', 'it is recorded as expired')
  t.ok(second.runtime.context.grants.snapshot('demo').version >= 3, 'the version kept growing across the restart')
})

t.test('grants of a removed knoc end at start', async (t) => {
  const clock = new ManualClock()
  const dataDir = temporaryDirectory(t)
  const first = await buildTestApp(t, { knocs: [{ name: 'demo' }, { name: 'gone' }] }, { clock, dataDir })
  await first.runtime.context.grants.grant('gone', { address: '192.0.2.30', ttl: '1h' }, 'tests')
  await first.app.close()
  await first.runtime.close()

  const second = await buildTestApp(t, { knocs: [{ name: 'demo' }] }, { clock, dataDir })
  const row = second.runtime.database.prepare("SELECT end_reason FROM grants WHERE address = '192.0.2.30'").get() as { end_reason: string }
  t.equal(row.end_reason, 'knoc-deleted', 'the orphaned grant is ended')
})
