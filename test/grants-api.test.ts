import t from 'tap'
import { buildTestApp, getText, listen, postJson, adminToken } from './helpers/app.js'

const bearer = { authorization: `Bearer ${adminToken}` }

t.test('grant created with canonical address', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)

  const created = await postJson(base, '/v1/knocs/demo/grants', { address: '2001:DB8:0:0::1', ttl: '15m', user: 'alice', comment: 'on call' })
  t.equal(created.status, 201, 'status 201')
  t.equal(created.json?.address, '2001:db8::1', 'address returned canonical')
  t.equal(created.json?.knoc, 'demo', 'knoc returned')
  t.equal(created.json?.user, 'alice', 'user returned')
  t.equal(created.json?.comment, 'on call', 'comment returned')
  t.type(created.json?.id, 'string', 'id returned')
  const lifetime = Date.parse(created.json?.expiresAt as string) - Date.parse(created.json?.createdAt as string)
  t.equal(lifetime, 15 * 60 * 1000, 'expiresAt is createdAt plus the ttl')

  const listed = await getText(base, '/v1/knocs/demo/grants', bearer)
  t.equal(listed.status, 200, 'list status 200')
  t.same(JSON.parse(listed.text).grants.map((grant: { id: string }) => grant.id), [created.json?.id], 'the grant is listed')
})

t.test('default ttl from the knoc', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo', ttl: { default: '8h', max: '1d' } }] })
  const base = await listen(testApp)
  const created = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1' })
  const lifetime = Date.parse(created.json?.expiresAt as string) - Date.parse(created.json?.createdAt as string)
  t.equal(lifetime, 8 * 3600 * 1000, 'default ttl is 8h')
  const numeric = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.2', ttl: 90 })
  t.equal(Date.parse(numeric.json?.expiresAt as string) - Date.parse(numeric.json?.createdAt as string), 90_000, 'ttl as seconds')
})

t.test('rejected input stores nothing', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo', ttl: { default: '1h', max: '2h' }, prefix: { ipv4: 24, ipv6: 64 } }] })
  const base = await listen(testApp)
  const valid = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.50' })
  t.equal(valid.status, 201, 'a valid grant is stored first')

  const cases: Array<{ name: string; route?: string; body: unknown; status: number; code: string; mentions?: string }> = [
    { name: 'invalid address', body: { address: '300.1.1.1' }, status: 400, code: 'KNL_ADDRESS_INVALID', mentions: '300.1.1.1' },
    { name: 'host name', body: { address: 'example.com' }, status: 400, code: 'KNL_ADDRESS_INVALID', mentions: 'example.com' },
    { name: 'too wide', body: { address: '10.0.0.0/8' }, status: 400, code: 'KNL_ADDRESS_TOO_WIDE', mentions: '10.0.0.0/8' },
    { name: 'too wide ipv6', body: { address: '2001:db8::/32' }, status: 400, code: 'KNL_ADDRESS_TOO_WIDE', mentions: '2001:db8::/32' },
    { name: 'default route', body: { address: '0.0.0.0/0' }, status: 400, code: 'KNL_ADDRESS_DEFAULT_ROUTE', mentions: '0.0.0.0/0' },
    { name: 'ipv6 default route', body: { address: '::/0' }, status: 400, code: 'KNL_ADDRESS_DEFAULT_ROUTE', mentions: '::/0' },
    { name: 'ttl over maximum', body: { address: '192.0.2.1', ttl: '3h' }, status: 400, code: 'KNL_TTL_TOO_LONG', mentions: '3h' },
    { name: 'ttl past 100 years', body: { address: '192.0.2.1', ttl: 99_999_999_999 }, status: 400, code: 'KNL_TTL_INVALID', mentions: '100 years' },
    { name: 'octet over 255', body: { address: '999.1.1.1' }, status: 400, code: 'KNL_ADDRESS_INVALID', mentions: '0 to 255' },
    { name: 'ttl not a duration', body: { address: '192.0.2.1', ttl: 'soon' }, status: 400, code: 'KNL_TTL_INVALID', mentions: 'soon' },
    { name: 'ttl zero', body: { address: '192.0.2.1', ttl: 0 }, status: 400, code: 'KNL_TTL_INVALID', mentions: 'above 0' },
    { name: 'ttl negative', body: { address: '192.0.2.1', ttl: -5 }, status: 400, code: 'KNL_TTL_INVALID' },
    { name: 'missing address', body: { ttl: '1h' }, status: 400, code: 'KNL_REQUEST_INVALID', mentions: 'address' },
    { name: 'address not a string', body: { address: 3232235521 }, status: 400, code: 'KNL_REQUEST_INVALID', mentions: 'address' },
    { name: 'unknown field', body: { address: '192.0.2.1', expires: '1h' }, status: 400, code: 'KNL_REQUEST_UNKNOWN_FIELD', mentions: 'expires' },
    { name: 'control character in user', body: { address: '192.0.2.1', user: 'eve\nadmin' }, status: 400, code: 'KNL_REQUEST_INVALID', mentions: 'user' },
    { name: 'body is an array', body: [{ address: '192.0.2.1' }], status: 400, code: 'KNL_REQUEST_INVALID' },
    { name: 'malformed JSON', body: '{"address": "192.0.2.1"', status: 400, code: 'KNL_REQUEST_MALFORMED_JSON' },
    { name: 'oversized body', body: { address: '192.0.2.1', comment: 'x'.repeat(70_000) }, status: 413, code: 'KNL_REQUEST_TOO_LARGE' },
    { name: 'unknown knoc', route: '/v1/knocs/nope/grants', body: { address: '192.0.2.1' }, status: 404, code: 'KNL_KNOC_NOT_FOUND', mentions: 'nope' },
  ]
  for (const testCase of cases) {
    const reply = await postJson(base, testCase.route ?? '/v1/knocs/demo/grants', testCase.body)
    t.equal(reply.status, testCase.status, `${testCase.name}: status ${testCase.status}`)
    t.equal(reply.json?.code, testCase.code, `${testCase.name}: code ${testCase.code}`)
    t.equal(reply.json?.statusCode, testCase.status, `${testCase.name}: statusCode in body`)
    t.type(reply.json?.error, 'string', `${testCase.name}: error phrase in body`)
    if (testCase.mentions) t.match(reply.json?.message, testCase.mentions, `${testCase.name}: message names ${testCase.mentions}`)
  }

  const listed = JSON.parse((await getText(base, '/v1/knocs/demo/grants', bearer)).text)
  t.same(listed.grants.map((grant: { address: string }) => grant.address), ['192.0.2.50'], 'only the valid grant is stored')
})

t.test('revoke by id', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const created = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.7' })

  const revoked = await fetch(`${base}/v1/grants/${created.json?.id}`, { method: 'DELETE', headers: bearer })
  t.equal(revoked.status, 204, 'revoke returns 204')
  const again = await fetch(`${base}/v1/grants/${created.json?.id}`, { method: 'DELETE', headers: bearer })
  t.equal(again.status, 404, 'revoking again returns 404')
  t.equal(((await again.json()) as { code: string }).code, 'KNL_GRANT_NOT_FOUND', 'code KNL_GRANT_NOT_FOUND')
  const unknown = await fetch(`${base}/v1/grants/does-not-exist`, { method: 'DELETE', headers: bearer })
  t.equal(unknown.status, 404, 'unknown id returns 404')
})

t.test('admin routes need a valid token', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)

  const missing = await fetch(`${base}/v1/knocs`)
  t.equal(missing.status, 401, 'no token: 401')
  t.equal(((await missing.json()) as { code: string }).code, 'KNL_AUTH_MISSING', 'no token: KNL_AUTH_MISSING')
  t.match(missing.headers.get('www-authenticate'), /^Bearer/, 'no token: WWW-Authenticate Bearer')

  const wrong = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1' }, { authorization: 'Bearer not-the-token' })
  t.equal(wrong.status, 401, 'wrong token: 401')
  t.equal(wrong.json?.code, 'KNL_AUTH_INVALID', 'wrong token: KNL_AUTH_INVALID')
  t.notMatch(wrong.text, 'not-the-token', 'the reply does not echo the token')

  const basic = await fetch(`${base}/v1/knocs`, { headers: { authorization: `Basic ${Buffer.from(`x:${adminToken}`).toString('base64')}` } })
  t.equal(basic.status, 401, 'Basic auth is not accepted on admin routes')

  const listed = JSON.parse((await getText(base, '/v1/knocs/demo/grants', bearer)).text)
  t.same(listed.grants, [], 'rejected requests stored nothing')
})

t.test('unknown route gives coded 404', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const reply = await getText(base, '/v2/nothing')
  t.equal(reply.status, 404, 'status 404')
  t.equal(JSON.parse(reply.text).code, 'KNL_ROUTE_NOT_FOUND', 'code KNL_ROUTE_NOT_FOUND')
})

t.test('empty user and comment stored as none', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const created = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.8', user: '', comment: '' })
  t.equal(created.status, 201, 'granted')
  t.equal(created.json?.user, null, 'user is null')
  t.equal(created.json?.comment, null, 'comment is null')
})
