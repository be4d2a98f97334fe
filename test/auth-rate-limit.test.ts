import { Writable } from 'node:stream'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { buildApp, redactedLogPaths } from '../src/http/app.js'
import { adminToken, buildTestApp, feedPassword } from './helpers/app.js'
import { ManualClock } from './helpers/clock.js'

const attacker = '198.51.100.66'
const bystander = '198.51.100.67'
const wrongToken = 'wrong-admin-token-guess-0001'
const wrongPassword = 'wrong-feed-password-guess'

// Builds an app on a manual clock that logs to memory, so a test can read
// every log line.
async function setup(t: Test, config: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, config, { clock })
  const lines: string[] = []
  const logger = pino(
    { level: 'debug', redact: { paths: redactedLogPaths, censor: '[redacted]' } },
    new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk))
        callback()
      },
    }),
  )
  const app = await buildApp(testApp.runtime.context, { logger })
  t.teardown(() => app.close())
  const admin = (token: string, remoteAddress = attacker) =>
    app.inject({ method: 'GET', url: '/v1/knocs', remoteAddress, headers: { authorization: `Bearer ${token}` } })
  const feed = (password: string, remoteAddress = attacker) =>
    app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', remoteAddress, headers: testApp.feedAuth(password) })
  return { clock, testApp, app, lines, admin, feed }
}

t.test('failed admin logins limited per address', async (t) => {
  const { clock, admin, lines } = await setup(t)
  for (let attempt = 1; attempt <= 10; attempt++) {
    const reply = await admin(wrongToken)
    t.equal(reply.statusCode, 401, `failure ${attempt} is 401`)
  }
  const limited = await admin(adminToken)
  t.equal(limited.statusCode, 429, 'the next request is 429 even with the right token')
  t.equal(limited.json().code, 'KNL_AUTH_RATE_LIMITED', 'code KNL_AUTH_RATE_LIMITED')
  t.equal(limited.headers['retry-after'], '60', 'Retry-After is the rest of the one-minute window')
  t.match(limited.json().message, attacker, 'the message names the client address')

  t.equal((await admin(adminToken, bystander)).statusCode, 200, 'another address is not affected')

  clock.advance(30_000)
  t.equal((await admin(adminToken)).headers['retry-after'], '30', 'Retry-After counts down')
  clock.advance(30_000)
  t.equal((await admin(adminToken)).statusCode, 200, 'the right token works once the window has passed')

  const log = lines.join('')
  t.notMatch(log, wrongToken, 'the guessed token is not logged')
  t.notMatch(log, adminToken, 'the right token is not logged')
  t.equal(lines.filter((line) => line.includes('"authentication failed"')).length, 10, 'each failure is logged once')
  t.equal(lines.filter((line) => line.includes('"authentication rate limit reached"')).length, 1, 'reaching the limit is logged once')
})

t.test('limit and window set in config', async (t) => {
  const { clock, admin } = await setup(t, { server: { authFailures: { max: 3, window: '10m' } } })
  for (let attempt = 1; attempt <= 3; attempt++) t.equal((await admin(wrongToken)).statusCode, 401, `failure ${attempt} is 401`)
  const limited = await admin(adminToken)
  t.equal(limited.statusCode, 429, 'the fourth request is 429')
  t.equal(limited.headers['retry-after'], '600', 'Retry-After is the configured window')
  clock.advance(599_000)
  t.equal((await admin(adminToken)).statusCode, 429, 'still limited near the end of the window')
  clock.advance(1_000)
  t.equal((await admin(adminToken)).statusCode, 200, 'the right token works after the window')
})

t.test('feed and admin failures count together', async (t) => {
  const { admin, feed, lines } = await setup(t)
  for (let attempt = 1; attempt <= 5; attempt++) t.equal((await feed(wrongPassword)).statusCode, 401, `feed failure ${attempt} is 401`)
  for (let attempt = 1; attempt <= 5; attempt++) t.equal((await admin(wrongToken)).statusCode, 401, `admin failure ${attempt} is 401`)

  const limited = await feed(feedPassword)
  t.equal(limited.statusCode, 429, 'the feed with the right password is 429 after ten failures')
  t.equal(limited.json().code, 'KNL_AUTH_RATE_LIMITED', 'code KNL_AUTH_RATE_LIMITED')
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set')
  t.equal((await feed(feedPassword, bystander)).statusCode, 200, 'another address still reads the feed')

  const log = lines.join('')
  t.notMatch(log, wrongPassword, 'the guessed password is not logged')
  t.notMatch(log, Buffer.from(`feed:${wrongPassword}`).toString('base64'), 'nor its Basic-auth form')
  t.match(log, /"route":"feed","knoc":"demo","usernameMatches":true/, 'the feed failure log names the knoc')
})

t.test('missing credentials are not counted', async (t) => {
  const { app } = await setup(t)
  for (let attempt = 0; attempt < 15; attempt++) {
    await app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', remoteAddress: attacker })
  }
  const reply = await app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', remoteAddress: attacker, headers: { authorization: `Basic ${Buffer.from(`feed:${feedPassword}`).toString('base64')}` } })
  t.equal(reply.statusCode, 200, 'a feed client that first asks without credentials is not locked out')
})

t.test('IPv6 clients limited per /64', async (t) => {
  const { admin } = await setup(t)
  for (let attempt = 1; attempt <= 10; attempt++) await admin(wrongToken, `2001:db8:1:2::${attempt.toString(16)}`)
  t.equal((await admin(adminToken, '2001:db8:1:2::ffff')).statusCode, 429, 'another address of the same /64 is limited')
  t.equal((await admin(adminToken, '2001:db8:1:3::1')).statusCode, 200, 'the next /64 is not')
})

t.test('malformed Basic header is KNL_AUTH_MISSING', async (t) => {
  const { app } = await setup(t)
  for (const authorization of ['Basic ', 'Basic ====', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer abc']) {
    const reply = await app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', remoteAddress: attacker, headers: { authorization } })
    t.equal(reply.statusCode, 401, `${JSON.stringify(authorization)} is 401`)
    t.equal(reply.json().code, 'KNL_AUTH_MISSING', `${JSON.stringify(authorization)} has code KNL_AUTH_MISSING, not a 400 code`)
  }
})
