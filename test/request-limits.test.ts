import { request as httpRequest } from 'node:http'
import t from 'tap'
import { maxJsonDepth } from '../src/http/json-body.js'
import { maxUrlLength } from '../src/http/request-limits.js'
import { buildTestApp, listen } from './helpers/app.js'

function nested(depth: number): string {
  return `{"address":"192.0.2.1","comment":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`
}

// Sends a raw GET with one extra header, because fetch refuses some of the
// sizes tested here.
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { headers }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

t.test('deeply nested JSON rejected before parsing', async (t) => {
  const testApp = await buildTestApp(t)
  const post = (payload: string) =>
    testApp.app.inject({ method: 'POST', url: '/v1/knocs/demo/grants', headers: { ...testApp.auth, 'content-type': 'application/json' }, payload })

  const deep = await post(nested(maxJsonDepth + 1))
  t.equal(deep.statusCode, 400, `nesting of ${maxJsonDepth + 1} levels is 400`)
  t.equal(deep.json().code, 'KNL_REQUEST_INVALID', 'code KNL_REQUEST_INVALID')
  t.match(deep.json().message, `deeper than ${maxJsonDepth} levels`, 'the message names the limit')

  const huge = await post(`[${'['.repeat(60_000)}`)
  t.equal(huge.statusCode, 400, '60,000 open brackets are rejected without a stack overflow')

  const atLimit = await post(nested(maxJsonDepth))
  t.equal(atLimit.json().code, 'KNL_REQUEST_INVALID', `nesting of ${maxJsonDepth} levels reaches the schema check`)
  t.match(atLimit.json().message, 'comment must be a string', 'and fails there on the field')

  const bracketsInStrings = await post(JSON.stringify({ address: '192.0.2.1', comment: '['.repeat(200) }))
  t.equal(bracketsInStrings.statusCode, 201, 'brackets inside strings do not count')

  const escapedQuote = await post(`{"address":"192.0.2.2","comment":"a\\"[[[[${'['.repeat(40)}"}`)
  t.equal(escapedQuote.statusCode, 201, 'an escaped quote does not end the string')
})

t.test('JSON bodies with prototype keys rejected', async (t) => {
  const testApp = await buildTestApp(t)
  for (const payload of ['{"address":"192.0.2.1","__proto__":{"admin":true}}', '{"address":"192.0.2.1","constructor":{"prototype":{"admin":true}}}']) {
    const reply = await testApp.app.inject({ method: 'POST', url: '/v1/knocs/demo/grants', headers: { ...testApp.auth, 'content-type': 'application/json' }, payload })
    t.equal(reply.statusCode, 400, `${payload} is 400`)
    t.equal(reply.json().code, 'KNL_REQUEST_INVALID', 'code KNL_REQUEST_INVALID')
  }
  const empty = await testApp.app.inject({ method: 'POST', url: '/v1/knocs/demo/grants', headers: { ...testApp.auth, 'content-type': 'application/json' }, payload: '' })
  t.equal(empty.json().code, 'KNL_REQUEST_MALFORMED_JSON', 'an empty JSON body is KNL_REQUEST_MALFORMED_JSON')
  const broken = await testApp.app.inject({ method: 'POST', url: '/v1/knocs/demo/grants', headers: { ...testApp.auth, 'content-type': 'application/json; charset=utf-8' }, payload: '{"address":' })
  t.equal(broken.json().code, 'KNL_REQUEST_MALFORMED_JSON', 'truncated JSON with a charset parameter is KNL_REQUEST_MALFORMED_JSON')
})

t.test('body over bodyLimit is 413', async (t) => {
  const testApp = await buildTestApp(t, { server: { bodyLimit: 1024 } })
  const reply = await testApp.app.inject({
    method: 'POST',
    url: '/v1/knocs/demo/grants',
    headers: { ...testApp.auth, 'content-type': 'application/json' },
    payload: JSON.stringify({ address: '192.0.2.1', comment: 'x'.repeat(2000) }),
  })
  t.equal(reply.statusCode, 413, 'status 413')
  t.equal(reply.json().code, 'KNL_REQUEST_TOO_LARGE', 'code KNL_REQUEST_TOO_LARGE')
  t.match(reply.json().message, 'limit of 1024 bytes', 'the message names the limit')
  t.match(reply.json().message, 'server.bodyLimit', 'and the setting that raises it')
})

t.test('long URL is 414 with a code', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const long = await rawGet(base, `/v1/feeds/demo.txt?family=${'a'.repeat(maxUrlLength)}`)
  t.equal(long.status, 414, 'status 414')
  t.equal(JSON.parse(long.body).code, 'KNL_REQUEST_URL_TOO_LONG', 'code KNL_REQUEST_URL_TOO_LONG')
  t.equal(JSON.parse(long.body).error, 'URI Too Long', 'the reason phrase of RFC 9110')

  const unknownRoute = await rawGet(base, `/${'x'.repeat(maxUrlLength + 1)}`)
  t.equal(unknownRoute.status, 414, 'a long URL of no route is 414 too')
  const admin = await rawGet(base, `/v1/knocs/${'x'.repeat(maxUrlLength)}`)
  t.equal(admin.status, 414, 'an admin URL is rejected before authentication')
})

t.test('oversized headers are 431 with a code', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const reply = await rawGet(base, '/healthz', { 'x-padding': 'p'.repeat(20_000) })
  t.equal(reply.status, 431, 'status 431')
  t.equal(JSON.parse(reply.body).code, 'KNL_REQUEST_HEADERS_TOO_LARGE', 'code KNL_REQUEST_HEADERS_TOO_LARGE')
  const after = await rawGet(base, '/healthz')
  t.equal(after.status, 200, 'the server keeps serving')
})
