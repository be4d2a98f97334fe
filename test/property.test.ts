import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, feedPassword, type TestApp } from './helpers/app.js'

// Generated requests against every route. Each run checks that the server
// never replies 500 and that every rejection is a 4xx with a code and a
// message. The message must name the bad value where the request had one, and
// a rejected request must leave the knocs and grants as they were.
const runs = 200

// Knoc names the generators may hit: the config knoc, the stored knoc the
// setup creates, names that do not exist, and invalid names.
const existingKnocs = fc.constantFrom('demo', 'lab')

const knocNames = fc.oneof(
  fc.constantFrom('demo', 'lab', 'missing', 'UPPER', '-dash', 'a'.repeat(64), '..', '%00', 'demo.txt'),
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/),
)

const addressValues = fc.oneof(
  { arbitrary: fc.ipV4(), weight: 3 },
  { arbitrary: fc.ipV6(), weight: 2 },
  fc.ipV4Extended(),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: -1, max: 200 })).map(([address, prefix]) => `${address}/${prefix}`),
  fc.constantFrom('0.0.0.0/0', '::/0', '::ffff:192.0.2.1', '::ffff:0:0/96', '010.1.1.1', ' 192.0.2.1 ', 'fe80::1%eth0', '192.0.2.1/32/1', '1.2.3.4/ 8', ''),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
)

const ttlValues = fc.oneof(
  fc.constantFrom('1h', '90s', '1h30m', '0s', '-5', '1d1d', '25h', '9999999999999999999w', '100000000w', 'NaN', '', ' 8h ', '1.5h', '1H'),
  fc.integer({ min: -10, max: 10 ** 12 }),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 1 }),
)

const textValues = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('line\nbreak', 'tab\there', '"; /system reboot', '$(whoami)', 'x'.repeat(257)), fc.jsonValue({ maxDepth: 1 }))

// Mostly bodies that pass the schema, so the address, prefix and TTL checks
// behind it are reached too.
const grantBodies = fc.oneof(
  { arbitrary: fc.record({ address: addressValues, ttl: ttlValues, user: textValues, comment: textValues }, { requiredKeys: ['address'] }), weight: 3 },
  { arbitrary: fc.record({ address: fc.oneof(fc.ipV4(), fc.ipV6()), ttl: fc.constantFrom('1h', '90s', 3600, '2d'), user: fc.string({ maxLength: 20 }) }, { requiredKeys: ['address'] }), weight: 3 },
  fc.record({ address: addressValues, ttl: ttlValues, user: textValues, comment: textValues }, { requiredKeys: [] }),
  fc.record({ address: addressValues }).chain((body) => fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }).map((extra) => ({ ...extra, ...body }))),
  fc.jsonValue({ maxDepth: 3 }),
)

// Router URLs are loopback or invalid only, so a knoc the generator makes
// valid never connects anywhere but a closed local port.
const routerDefinitions = fc.record(
  {
    name: fc.oneof(fc.constantFrom('edge1', 'r.1', ''), fc.string({ maxLength: 70 })),
    url: fc.constantFrom('https://127.0.0.1:1', 'http://127.0.0.1:1', 'https://user:pw@127.0.0.1:1', 'ftp://127.0.0.1', 'not a url', ''),
    username: fc.oneof(fc.constant('agent'), fc.string({ maxLength: 10 })),
    password: fc.oneof(fc.constant('router-password'), fc.constant(''), fc.integer()),
    insecure: fc.oneof(fc.boolean(), fc.constant('yes')),
    fingerprint: fc.oneof(fc.constant('ab'.repeat(32)), fc.string({ maxLength: 70 })),
  },
  { requiredKeys: [] },
)

const knocDefinitions = fc.oneof(
  {
    arbitrary: fc.record(
      {
        mode: fc.constantFrom('passive', 'passive-plus'),
        ttl: fc.record({ default: fc.constantFrom('1h', '8h', 60), max: fc.constantFrom('1d', '30d', 86_400, '1h') }, { requiredKeys: [] }),
        prefix: fc.record({ ipv4: fc.integer({ min: 0, max: 33 }), ipv6: fc.integer({ min: 0, max: 129 }) }, { requiredKeys: [] }),
        feed: fc.record({ password: fc.string({ minLength: 6, maxLength: 12 }), allowFrom: fc.array(fc.oneof(fc.ipV4(), fc.constant('192.0.2.0/24'), fc.string({ maxLength: 8 })), { maxLength: 2 }) }, { requiredKeys: [] }),
        routers: fc.array(routerDefinitions, { maxLength: 1 }),
      },
      { requiredKeys: ['mode'] },
    ),
    weight: 2,
  },
  fc.record(
    {
      mode: fc.constantFrom('passive', 'passive-plus', 'active', 'push', ''),
      ttl: fc.record({ default: ttlValues, max: ttlValues }, { requiredKeys: [] }),
      addressList: textValues,
      prefix: fc.record({ ipv4: fc.oneof(fc.integer({ min: -1, max: 40 }), fc.string()), ipv6: fc.integer({ min: -1, max: 140 }) }, { requiredKeys: [] }),
      feed: fc.record(
        {
          username: textValues,
          password: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
          allowFrom: fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 }), fc.constantFrom('192.0.2.0/24', '10.0.0.0/33')), { maxLength: 3 }),
          pollInterval: ttlValues,
        },
        { requiredKeys: [] },
      ),
      routers: fc.oneof(fc.array(routerDefinitions, { maxLength: 2 }), fc.jsonValue({ maxDepth: 1 })),
      name: knocNames,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
)

const authorizationHeaders = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 60 }).map((text) => `Bearer ${text}`),
  fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([user, password]) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`),
  fc.string({ maxLength: 40 }).map((text) => `Basic ${text}`),
  fc.constantFrom('Basic', 'Bearer', 'Basic ====', 'Digest x', `Basic ${Buffer.from(`feed:${feedPassword}`).toString('base64')}`),
  fc.string({ maxLength: 60 }),
)

// Header values Node would refuse to send are left out: they never reach a server.
function isSendableHeader(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value)
}

interface Expectation {
  // A value the message of a rejection should name, when the rejection is about it.
  names?: (code: string) => string | undefined
}

async function stateOf(testApp: TestApp): Promise<string> {
  const knocs = (await testApp.app.inject({ method: 'GET', url: '/v1/knocs', headers: testApp.auth })).json() as { knocs: Array<Record<string, unknown>> }
  const state: Record<string, unknown> = {}
  for (const knoc of knocs.knocs) {
    const { version: _version, activeGrants: _activeGrants, addresses: _addresses, ...definition } = knoc
    const grants = (await testApp.app.inject({ method: 'GET', url: `/v1/knocs/${knoc.name as string}/grants`, headers: testApp.auth })).json()
    state[knoc.name as string] = { definition, grants }
  }
  return JSON.stringify(state)
}

// Checks one reply against the shared rules and returns what is wrong with it.
function problemsOf(reply: LightMyRequestResponse, expectation: Expectation = {}): string[] {
  if (reply.statusCode >= 500) return [`answered ${reply.statusCode}: ${reply.body.slice(0, 500)}`]
  if (reply.statusCode < 400) return []
  let body: { code?: unknown; message?: unknown; statusCode?: unknown }
  try {
    body = reply.json()
  } catch {
    return [`answered ${reply.statusCode} with a body that is not JSON: ${reply.body.slice(0, 200)}`]
  }
  const problems: string[] = []
  if (typeof body.code !== 'string' || !body.code.startsWith('KNL_')) problems.push(`answered ${reply.statusCode} without a KNL_ code: ${reply.body.slice(0, 300)}`)
  if (typeof body.message !== 'string' || body.message === '') problems.push(`answered ${reply.statusCode} without a message: ${reply.body.slice(0, 300)}`)
  if (body.statusCode !== reply.statusCode) problems.push(`statusCode ${String(body.statusCode)} in the body differs from the status ${reply.statusCode}`)
  const named = typeof body.code === 'string' ? expectation.names?.(body.code) : undefined
  if (named !== undefined && typeof body.message === 'string' && !body.message.includes(named)) {
    problems.push(`${body.code as string} message does not name ${named}: ${body.message}`)
  }
  return problems
}

let remoteCounter = 0
// A new client address for every generated request, so the failed-login
// limit of one address never blocks the next case.
function nextRemoteAddress(): string {
  remoteCounter++
  return `198.18.${(remoteCounter >> 8) & 255}.${remoteCounter & 255}`
}

async function setup(t: Test): Promise<{ testApp: TestApp; baseline: string }> {
  const testApp = await buildTestApp(t, { knocs: [{ name: 'demo', feed: { password: feedPassword }, prefix: { ipv4: 24, ipv6: 48 } }] })
  const created = await testApp.app.inject({ method: 'PUT', url: '/v1/knocs/lab', headers: testApp.auth, payload: { mode: 'passive', ttl: { default: '1h', max: '1000w' } } })
  t.equal(created.statusCode, 201, 'stored knoc lab created')
  for (const address of ['192.0.2.1', '2001:db8::1']) {
    const granted = await testApp.app.inject({ method: 'POST', url: '/v1/knocs/demo/grants', headers: testApp.auth, payload: { address } })
    t.equal(granted.statusCode, 201, `setup grant ${address}`)
  }
  return { testApp, baseline: await stateOf(testApp) }
}

// Counts replies by status, so each test can report what its cases covered.
const statusCounts = new Map<string, number>()

// Runs a request and checks the reply. A rejection must leave the state as it
// was, and `undo` reverts a success so the next case starts from the
// baseline. Throws on a broken rule, so fast-check reports and shrinks the case.
async function exercise(testApp: TestApp, baseline: string, request: InjectOptions, expectation: Expectation, undo?: (reply: LightMyRequestResponse) => Promise<void>): Promise<void> {
  const reply = await testApp.app.inject({ remoteAddress: nextRemoteAddress(), ...request })
  statusCounts.set(String(reply.statusCode), (statusCounts.get(String(reply.statusCode)) ?? 0) + 1)
  const problems = problemsOf(reply, expectation)
  if (problems.length === 0 && reply.statusCode < 400 && undo !== undefined) await undo(reply)
  if (problems.length === 0 && reply.statusCode >= 400 && (await stateOf(testApp)) !== baseline) problems.push(`the rejection (${reply.statusCode}) changed the stored state`)
  if (problems.length === 0 && (await stateOf(testApp)) !== baseline) problems.push('undoing the accepted request did not restore the stored state')
  if (problems.length > 0) throw new Error(`${request.method} ${request.url}: ${problems.join('; ')}`)
}

function reportStatuses(t: Test): void {
  t.comment(`replies by status: ${[...statusCounts].sort().map(([status, count]) => `${status}: ${count}`).join(', ')}`)
  statusCounts.clear()
}

t.test('grant route never fails on bad input', async (t) => {
  const { testApp, baseline } = await setup(t)
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: existingKnocs, weight: 4 }, knocNames), grantBodies, async (knoc, body) => {
      const object = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
      const unknownKeys = Object.keys(object).filter((key) => !['address', 'ttl', 'user', 'comment'].includes(key))
      await exercise(
        testApp,
        baseline,
        { method: 'POST', url: `/v1/knocs/${encodeURIComponent(knoc)}/grants`, headers: { ...testApp.auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? 'null' },
        {
          names: (code) => {
            if (code === 'KNL_KNOC_NOT_FOUND') return JSON.stringify(knoc)
            if (code.startsWith('KNL_ADDRESS_') && typeof object.address === 'string') return JSON.stringify(object.address)
            if (code.startsWith('KNL_TTL_')) return JSON.stringify(object.ttl)
            if (code === 'KNL_REQUEST_UNKNOWN_FIELD') return JSON.stringify(unknownKeys[0])
            return undefined
          },
        },
        async (reply) => {
          await testApp.app.inject({ method: 'DELETE', url: `/v1/grants/${reply.json().id}`, headers: testApp.auth })
        },
      )
    }),
    { numRuns: runs },
  )
  reportStatuses(t)
  t.pass(`${runs} generated grant requests`)
})

t.test('raw bodies and content types never fail', async (t) => {
  const { testApp, baseline } = await setup(t)
  const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/JSON', 'multipart/form-data; boundary=x', '')
  const payloads = fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)), fc.integer({ min: 1, max: 200 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)), fc.constantFrom('{"address":"192.0.2.9",', '{"__proto__":{"x":1},"address":"192.0.2.9"}', '\u0000', '{}'))
  await fc.assert(
    fc.asyncProperty(contentTypes, payloads, fc.constantFrom('POST', 'PUT', 'DELETE'), async (contentType, payload, method) => {
      const url = method === 'POST' ? '/v1/knocs/demo/grants' : '/v1/knocs/fuzz-raw'
      await exercise(
        testApp,
        baseline,
        { method, url, headers: { ...testApp.auth, ...(contentType === '' ? {} : { 'content-type': contentType }) }, payload },
        {},
        async (reply) => {
          if (method === 'POST') await testApp.app.inject({ method: 'DELETE', url: `/v1/grants/${reply.json().id}`, headers: testApp.auth })
          if (method === 'PUT') await testApp.app.inject({ method: 'DELETE', url: '/v1/knocs/fuzz-raw', headers: testApp.auth })
        },
      )
    }),
    { numRuns: runs },
  )
  reportStatuses(t)
  t.pass(`${runs} generated raw bodies`)
})

t.test('knoc routes never fail on bad input', async (t) => {
  const { testApp, baseline } = await setup(t)
  // The stored knoc "lab" is kept out of PUT and DELETE so it stays as set up.
  const writableNames = knocNames.filter((name) => name !== 'lab')
  await fc.assert(
    fc.asyncProperty(fc.oneof(writableNames, fc.constantFrom('fuzz-a', 'fuzz-b', 'demo')), knocDefinitions, async (name, definition) => {
      await exercise(
        testApp,
        baseline,
        { method: 'PUT', url: `/v1/knocs/${encodeURIComponent(name)}`, headers: { ...testApp.auth, 'content-type': 'application/json' }, payload: JSON.stringify(definition) ?? 'null' },
        // "." and ".." are dot segments the URL parser removes, so the route gets another name.
        { names: (code) => ((code === 'KNL_KNOC_NAME_INVALID' || code === 'KNL_KNOC_READ_ONLY') && name !== '.' && name !== '..' ? JSON.stringify(name) : undefined) },
        async () => {
          await testApp.app.inject({ method: 'DELETE', url: `/v1/knocs/${encodeURIComponent(name)}`, headers: testApp.auth })
        },
      )
    }),
    { numRuns: runs },
  )

  const readRoutes = fc.constantFrom(
    (name: string) => ({ method: 'GET' as const, url: `/v1/knocs/${name}` }),
    (name: string) => ({ method: 'GET' as const, url: `/v1/knocs/${name}/grants` }),
    (name: string) => ({ method: 'GET' as const, url: `/v1/knocs/${name}/routeros/setup.rsc` }),
    (name: string) => ({ method: 'POST' as const, url: `/v1/knocs/${name}/sync` }),
    (name: string) => ({ method: 'POST' as const, url: `/v1/knocs/${name}/validate` }),
    (name: string) => ({ method: 'DELETE' as const, url: `/v1/knocs/${name}` }),
    (name: string) => ({ method: 'DELETE' as const, url: `/v1/grants/${name}` }),
  )
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: existingKnocs, weight: 2 }, writableNames), readRoutes, async (name, route) => {
      // DELETE of the stored knoc would change the baseline on purpose.
      if (name === 'lab' && route(name).method === 'DELETE' && route(name).url.startsWith('/v1/knocs/')) return
      const request = route(encodeURIComponent(name))
      await exercise(
        testApp,
        baseline,
        { ...request, headers: testApp.auth },
        {
          names: (code) => {
            if (code === 'KNL_KNOC_NOT_FOUND' || code === 'KNL_KNOC_READ_ONLY') return JSON.stringify(name)
            if (code === 'KNL_GRANT_NOT_FOUND') return JSON.stringify(name)
            return undefined
          },
        },
      )
    }),
    { numRuns: runs },
  )
  reportStatuses(t)
  t.pass(`${runs} generated knoc definitions and ${runs} generated knoc route calls`)
})

t.test('feeds and auth headers never fail', async (t) => {
  const { testApp, baseline } = await setup(t)
  const files = fc.oneof(
    { arbitrary: fc.tuple(fc.oneof({ arbitrary: existingKnocs, weight: 3 }, knocNames), fc.constantFrom('.txt', '.json', '.rsc', '.xml', '', '.', '..txt')).map(([name, extension]) => `${name}${extension}`), weight: 4 },
    fc.string({ maxLength: 60 }),
  )
  const families = fc.oneof(fc.constant(undefined), fc.constantFrom('ipv4', 'ipv6', 'IPV4', '', 'ipv5'), fc.string({ maxLength: 10 }))
  const extraHeaders = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 60 }), { maxKeys: 3 })
  await fc.assert(
    fc.asyncProperty(files, families, authorizationHeaders, extraHeaders, async (file, family, authorization, extra) => {
      const headers: Record<string, string> = {}
      for (const [key, value] of Object.entries(extra)) if (isSendableHeader(value) && key !== 'host' && key !== 'content-length' && key !== 'transfer-encoding') headers[key] = value
      if (authorization !== undefined && isSendableHeader(authorization)) headers.authorization = authorization
      const query = family === undefined ? '' : `?family=${encodeURIComponent(family)}`
      const url = `/v1/feeds/${encodeURIComponent(file)}${query}`
      await exercise(testApp, baseline, { method: 'GET', url, headers }, {
        names: (code) => (code === 'KNL_REQUEST_INVALID' && family !== undefined && file === 'demo.txt' ? JSON.stringify(family) : undefined),
      })
    }),
    { numRuns: runs },
  )

  await fc.assert(
    fc.asyncProperty(authorizationHeaders, fc.constantFrom('/v1/knocs', '/v1/knocs/demo/grants', '/healthz', '/readyz'), async (authorization, url) => {
      const headers = authorization !== undefined && isSendableHeader(authorization) ? { authorization } : undefined
      await exercise(testApp, baseline, { method: 'GET', url, ...(headers ? { headers } : {}) }, {})
    }),
    { numRuns: runs },
  )
  reportStatuses(t)
  const health = await testApp.app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200, 'the server still answers after every generated request')
})

t.test('knoc ttl past the Date range rejected', async (t) => {
  const { testApp, baseline } = await setup(t)
  // 100,000,000 weeks is a safe integer of seconds, but now plus that many
  // milliseconds is past the largest Date: the grant was stored and then
  // every reply about it failed with 500.
  const put = await testApp.app.inject({ method: 'PUT', url: '/v1/knocs/forever', headers: testApp.auth, payload: { ttl: { default: '100000000w', max: '100000000w' } } })
  t.equal(put.statusCode, 400, 'the knoc is rejected')
  t.equal(put.json().code, 'KNL_KNOC_INVALID', 'code KNL_KNOC_INVALID')
  t.match(put.json().message, 'at most 100 years', 'the message names the limit')
  const seconds = await testApp.app.inject({ method: 'PUT', url: '/v1/knocs/forever', headers: testApp.auth, payload: { ttl: { max: 10 ** 14 } } })
  t.equal(seconds.statusCode, 400, 'the same limit holds for a number of seconds')
  t.equal(await stateOf(testApp), baseline, 'nothing was stored')
})
