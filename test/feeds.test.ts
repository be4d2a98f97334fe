import t from 'tap'
import { FeedCache } from '../src/feeds/cache.js'
import type { FeedFormat } from '../src/feeds/formats.js'
import { buildTestApp, feedPassword, getText, listen, postJson } from './helpers/app.js'

function basic(username: string, password: string) {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }
}

const feedAuth = basic('feed', feedPassword)

t.test('feed authentication', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)

  const none = await getText(base, '/v1/feeds/demo.txt')
  t.equal(none.status, 401, 'no credentials: 401')
  t.equal(JSON.parse(none.text).code, 'KNL_AUTH_MISSING', 'no credentials: KNL_AUTH_MISSING')
  t.match(none.headers.get('www-authenticate'), /^Basic realm=/, 'no credentials: Basic challenge')

  const wrongPassword = await getText(base, '/v1/feeds/demo.txt', basic('feed', 'wrong-password'))
  t.equal(wrongPassword.status, 401, 'wrong password: 401')
  t.equal(JSON.parse(wrongPassword.text).code, 'KNL_AUTH_INVALID', 'wrong password: KNL_AUTH_INVALID')
  t.notMatch(wrongPassword.text, 'wrong-password', 'the reply does not echo the password')

  const wrongUser = await getText(base, '/v1/feeds/demo.txt', basic('admin', feedPassword))
  t.equal(wrongUser.status, 401, 'wrong username: 401')

  const ok = await getText(base, '/v1/feeds/demo.txt', feedAuth)
  t.equal(ok.status, 200, 'right credentials: 200')
})

t.test('allowFrom rejects outside clients whatever the credentials', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo', feed: { password: feedPassword, allowFrom: ['192.0.2.0/24', '2001:db8::/32'] } }] })
  const base = await listen(testApp)

  const withCredentials = await getText(base, '/v1/feeds/demo.txt', feedAuth)
  t.equal(withCredentials.status, 403, 'right credentials from outside: 403')
  t.equal(JSON.parse(withCredentials.text).code, 'KNL_FEED_CLIENT_FORBIDDEN', 'code KNL_FEED_CLIENT_FORBIDDEN')
  t.match(JSON.parse(withCredentials.text).message, '127.0.0.1', 'the message names the client address')
  const withoutCredentials = await getText(base, '/v1/feeds/demo.txt')
  t.equal(withoutCredentials.status, 403, 'no credentials from outside: 403')
  const forged = await getText(base, '/v1/feeds/demo.txt', { ...feedAuth, 'x-forwarded-for': '192.0.2.1' })
  t.equal(forged.status, 403, 'X-Forwarded-For is not believed without trustProxy')
})

t.test('allowFrom admits loopback when listed', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo', feed: { password: feedPassword, allowFrom: ['127.0.0.0/8'] } }] })
  const base = await listen(testApp)
  t.equal((await getText(base, '/v1/feeds/demo.txt', feedAuth)).status, 200, 'loopback inside allowFrom: 200')
})

t.test('empty feed is 200 with an empty body', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const reply = await getText(base, '/v1/feeds/demo.txt', feedAuth)
  t.equal(reply.status, 200, 'status 200')
  t.equal(reply.text, '', 'empty body')
  t.equal(reply.headers.get('content-length'), '0', 'Content-Length 0')
  t.ok(reply.headers.get('etag'), 'ETag present')
  t.equal(reply.headers.get('cache-control'), 'no-cache', 'Cache-Control no-cache')
})

t.test('text feed lists canonical addresses in order', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo', feed: { password: feedPassword }, prefix: { ipv4: 24, ipv6: 64 } }] })
  const base = await listen(testApp)
  for (const address of ['2001:DB8::1', '192.0.2.10', '10.1.2.3/24', '192.0.2.9/32', '2001:db8:1::/64']) {
    t.equal((await postJson(base, '/v1/knocs/demo/grants', { address })).status, 201, `granted ${address}`)
  }

  const all = await getText(base, '/v1/feeds/demo.txt', feedAuth)
  t.equal(all.text, '10.1.2.0/24\n192.0.2.9\n192.0.2.10\n2001:db8::1\n2001:db8:1::/64\n', 'sorted, canonical, LF-terminated')
  t.equal(all.headers.get('content-length'), String(Buffer.byteLength(all.text)), 'Content-Length matches the body')
  t.match(all.headers.get('content-type'), /^text\/plain/, 'text/plain')

  const ipv4 = await getText(base, '/v1/feeds/demo.txt?family=ipv4', feedAuth)
  t.equal(ipv4.text, '10.1.2.0/24\n192.0.2.9\n192.0.2.10\n', 'family=ipv4')
  const ipv6 = await getText(base, '/v1/feeds/demo.txt?family=ipv6', feedAuth)
  t.equal(ipv6.text, '2001:db8::1\n2001:db8:1::/64\n', 'family=ipv6')
  const badFamily = await getText(base, '/v1/feeds/demo.txt?family=ipx', feedAuth)
  t.equal(badFamily.status, 400, 'unknown family: 400')
  t.match(JSON.parse(badFamily.text).message, 'ipx', 'the message names the bad family')
})

t.test('json feed shape', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const created = await postJson(base, '/v1/knocs/demo/grants', { address: '198.51.100.4', ttl: '10m' })
  const reply = await getText(base, '/v1/feeds/demo.json', feedAuth)
  t.equal(reply.status, 200, 'status 200')
  const body = JSON.parse(reply.text)
  t.equal(body.knoc, 'demo', 'knoc')
  t.type(body.version, 'number', 'version is a number')
  t.ok(!Number.isNaN(Date.parse(body.generatedAt)), 'generatedAt is a date')
  t.same(body.entries, [{ address: '198.51.100.4', family: 'ipv4', expiresAt: created.json?.expiresAt }], 'entries')
})

t.test('ETag and 304', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1' })

  const first = await getText(base, '/v1/feeds/demo.txt', feedAuth)
  const etag = first.headers.get('etag')!
  t.match(etag, /^".+"$/, 'a strong quoted ETag')

  const unchanged = await getText(base, '/v1/feeds/demo.txt', { ...feedAuth, 'if-none-match': etag })
  t.equal(unchanged.status, 304, 'same ETag: 304')
  t.equal(unchanged.text, '', '304 has no body')
  t.equal(unchanged.headers.get('etag'), etag, '304 repeats the ETag')
  const listed = await getText(base, '/v1/feeds/demo.txt', { ...feedAuth, 'if-none-match': `"other", W/${etag}` })
  t.equal(listed.status, 304, 'ETag inside a list, weak form: 304')

  await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.2' })
  const changed = await getText(base, '/v1/feeds/demo.txt', { ...feedAuth, 'if-none-match': etag })
  t.equal(changed.status, 200, 'after a change: 200')
  t.not(changed.headers.get('etag'), etag, 'after a change: a new ETag')

  const json = await getText(base, '/v1/feeds/demo.json', feedAuth)
  t.not(json.headers.get('etag'), changed.headers.get('etag'), 'each format has its own ETag')
  const noAuth304 = await getText(base, '/v1/feeds/demo.txt', { 'if-none-match': changed.headers.get('etag')! })
  t.equal(noAuth304.status, 401, 'If-None-Match does not bypass authentication')
})

t.test('unknown feed format or knoc', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const format = await getText(base, '/v1/feeds/demo.csv', feedAuth)
  t.equal(format.status, 404, 'unknown format: 404')
  t.equal(JSON.parse(format.text).code, 'KNL_FEED_FORMAT_UNKNOWN', 'code KNL_FEED_FORMAT_UNKNOWN')
  const prototypeKey = await getText(base, '/v1/feeds/demo.constructor', feedAuth)
  t.equal(prototypeKey.status, 404, 'an inherited property name is not a format')
  const knoc = await getText(base, '/v1/feeds/nope.txt', feedAuth)
  t.equal(knoc.status, 404, 'unknown knoc: 404')
  t.equal(JSON.parse(knoc.text).code, 'KNL_KNOC_NOT_FOUND', 'code KNL_KNOC_NOT_FOUND')
})

t.test('feed cache renders once per version', async (t) => {
  let renders = 0
  const format: FeedFormat = {
    contentType: 'text/plain',
    render: (snapshot) => {
      renders++
      return snapshot.entries.map((entry) => entry.address).join('\n')
    },
  }
  const cache = new FeedCache({ maxBytes: 1024 * 1024 })
  const snapshot = { knoc: 'demo', version: 1, changedAt: 0, entries: [{ address: '192.0.2.1', family: 'ipv4' as const, expiresAt: 1, users: [] }] }
  const first = cache.get(() => snapshot, 'demo', 1, 'txt', format, undefined)
  const second = cache.get(() => snapshot, 'demo', 1, 'txt', format, undefined)
  t.equal(renders, 1, 'a second poll of the same version does not render')
  t.equal(second.etag, first.etag, 'same ETag')
  cache.get(() => ({ ...snapshot, version: 2 }), 'demo', 2, 'txt', format, undefined)
  t.equal(renders, 2, 'a new version renders again')
})
