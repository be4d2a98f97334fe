import t from 'tap'
import { buildTestApp, feedPassword, getText, listen, postJson, adminToken, temporaryDirectory } from './helpers/app.js'
import { ManualClock } from './helpers/clock.js'

const bearer = { authorization: `Bearer ${adminToken}` }
const feedAuth = { authorization: `Basic ${Buffer.from(`feed:${feedPassword}`).toString('base64')}` }

async function auditRecords(base: string, query = '') {
  const reply = await getText(base, `/v1/audit${query}`, bearer)
  return JSON.parse(reply.text).records as Array<Record<string, unknown>>
}

t.test('grant life cycle is audited', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const first = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1', ttl: '10m', user: 'alice', comment: 'on call for the outage' })
  await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1', ttl: '20m', user: 'bob' })
  await fetch(`${base}/v1/grants/${first.json?.id}`, { method: 'DELETE', headers: bearer })

  const records = (await auditRecords(base, '?knoc=demo')).reverse()
  t.same(records.map((record) => record.action), ['grant.created', 'grant.created', 'grant.extended', 'grant.revoked'], 'created, created and extended, revoked')
  t.ok(records.every((record) => record.actor === 'tests'), 'the token name is the actor')
  t.equal(records[0]?.address, '192.0.2.1', 'the address is recorded')
  t.equal(records[3]?.grantId, first.json?.id, 'the revoked grant is named')
  t.equal((records[0]?.detail as Record<string, unknown>).comment, 'on call for the outage', 'the grant comment is recorded')
  t.equal((records[1]?.detail as Record<string, unknown>).comment, null, 'a grant without a comment records none')
  t.ok(records.every((record) => record.clientAddress === '127.0.0.1'), 'the client address of each request is recorded')
  t.ok(records.every((record) => !Number.isNaN(Date.parse(record.at as string))), 'each record has a time')
})

t.test('expiry and knoc changes are audited', async (t) => {
  const clock = new ManualClock(Date.now())
  const testApp = await buildTestApp(t, { knocs: [] }, { clock })
  const base = await listen(testApp)
  const put = await fetch(`${base}/v1/knocs/lab`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'passive' }) })
  t.equal(put.status, 201, 'knoc created')
  await fetch(`${base}/v1/knocs/lab`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'passive', ttl: { default: '2h', max: '1d' } }) })
  await postJson(base, '/v1/knocs/lab/grants', { address: '198.51.100.1', ttl: 60 })
  clock.advance(61_000)
  await postJson(base, '/v1/knocs/lab/grants', { address: '198.51.100.2', ttl: 60 })
  await fetch(`${base}/v1/knocs/lab`, { method: 'DELETE', headers: bearer })

  const actions = (await auditRecords(base, '?knoc=lab')).reverse().map((record) => `${record.action} ${record.actor}`)
  t.same(actions, ['knoc.created tests', 'knoc.updated tests', 'grant.created tests', 'grant.expired null', 'grant.created tests', 'grant.ended null', 'knoc.deleted tests'], 'every step in order with its actor')
})

t.test('feed fetches are audited with client and status', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  await getText(base, '/v1/feeds/demo.txt', feedAuth)
  await getText(base, '/v1/feeds/demo.json', { authorization: `Basic ${Buffer.from('feed:wrong').toString('base64')}` })

  const fetches = (await auditRecords(base, '?knoc=demo')).filter((record) => record.action === 'feed.fetched').reverse()
  t.equal(fetches.length, 2, 'two fetches recorded')
  t.same(fetches.map((record) => record.detail), [{ format: 'txt', status: 200, count: 1 }, { format: 'json', status: 401, count: 1 }], 'format and status')
  t.same(fetches.map((record) => record.actor), ['feed', null], 'the feed user once the credentials matched, none for a failed login')
  t.ok(fetches.every((record) => record.clientAddress === '127.0.0.1'), 'client address')
  t.notMatch(JSON.stringify(fetches), 'wrong', 'the attempted password is not recorded')

  // A client that typed the password into the username field.
  await getText(base, '/v1/feeds/demo.txt', { authorization: `Basic ${Buffer.from('misplaced-password:').toString('base64')}` })
  t.notMatch(JSON.stringify(await auditRecords(base, '?knoc=demo')), 'misplaced-password', 'the username of a failed login is not recorded')
})

t.test('repeated feed fetches share a record', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const base = await listen(testApp)
  for (let index = 0; index < 5; index++) await getText(base, '/v1/feeds/demo.txt', feedAuth)
  await getText(base, '/v1/feeds/demo.json', feedAuth)
  clock.advance(1_000)
  await getText(base, '/v1/feeds/demo.txt', feedAuth)

  const fetches = (await auditRecords(base, '?knoc=demo')).filter((record) => record.action === 'feed.fetched').reverse()
  t.same(
    fetches.map((record) => record.detail),
    [{ format: 'txt', status: 200, count: 5 }, { format: 'json', status: 200, count: 1 }, { format: 'txt', status: 200, count: 1 }],
    'alike fetches within one flush interval counted in one record, a later one in a new record',
  )
})

t.test('audit query filters and limits', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo' }, { name: 'other' }] })
  const base = await listen(testApp)
  for (let index = 0; index < 5; index++) await postJson(base, '/v1/knocs/demo/grants', { address: `192.0.2.${index + 1}` })
  await postJson(base, '/v1/knocs/other/grants', { address: '192.0.2.99' })

  t.equal((await auditRecords(base, '?knoc=other')).length, 1, 'knoc filter')
  t.equal((await auditRecords(base, '?limit=2')).length, 2, 'limit')
  t.equal((await auditRecords(base, `?until=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`)).length, 0, 'until before everything')
  t.equal((await auditRecords(base, `?since=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`)).length, 6, 'since an hour ago')
  const bad = await getText(base, '/v1/audit?limit=0', bearer)
  t.equal(bad.status, 400, 'limit 0 rejected')
  t.match(JSON.parse(bad.text).message, 'limit', 'names the parameter')
  const badTime = await getText(base, '/v1/audit?since=yesterday', bearer)
  t.equal(badTime.status, 400, 'unparseable time rejected')
  t.equal((await getText(base, '/v1/audit')).status, 401, 'the audit trail needs an admin token')
})

t.test('old records pruned by age', async (t) => {
  const clock = new ManualClock(Date.now())
  const dataDir = temporaryDirectory(t)
  const testApp = await buildTestApp(t, { audit: { retention: '1d' } }, { clock, dataDir })
  const audit = testApp.runtime.context.audit
  audit.record({ action: 'knoc.updated', actor: 'old', knoc: 'demo' })
  audit.flush()
  clock.advance(12 * 3600_000)
  audit.record({ action: 'knoc.updated', actor: 'recent', knoc: 'demo' })
  audit.flush()
  clock.advance(13 * 3600_000)
  t.same(audit.query({ limit: 10 }).map((record) => record.actor), ['recent'], 'the hourly pruning removed the record past the retention')
  audit.record({ action: 'knoc.updated', actor: 'ancient', knoc: 'demo' })
  audit.flush()
  testApp.runtime.database.prepare("UPDATE audit SET at = at - 400 * 86400000 WHERE actor = 'ancient'").run()
  t.equal(audit.prune(), 1, 'an explicit prune removes one old record')

  clock.advance(2 * 24 * 3600_000)
  t.same(audit.query({ limit: 10 }), [], 'the background pruning removed the rest')
})
