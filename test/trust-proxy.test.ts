import t from 'tap'
import { buildTestApp, feedPassword, listen } from './helpers/app.js'

const allowedClient = '192.0.2.5'
const proxy = '10.1.2.3'
const outsider = '203.0.113.9'

function restrictedKnoc() {
  return { name: 'demo', feed: { password: feedPassword, allowFrom: ['192.0.2.0/24'] } }
}

t.test('forged X-Forwarded-For ignored without trustProxy', async (t) => {
  const testApp = await buildTestApp(t, { knocs: [restrictedKnoc()] })
  const base = await listen(testApp)
  const forged = await fetch(`${base}/v1/feeds/demo.txt`, { headers: { ...testApp.feedAuth(), 'x-forwarded-for': allowedClient } })
  t.equal(forged.status, 403, 'a loopback client claiming an allowed address is still outside allowFrom')
  t.equal(((await forged.json()) as { code: string }).code, 'KNL_FEED_CLIENT_FORBIDDEN', 'code KNL_FEED_CLIENT_FORBIDDEN')
})

t.test('X-Forwarded-For believed only from listed proxies', async (t) => {
  const testApp = await buildTestApp(t, { server: { trustProxy: ['10.0.0.0/8'] }, knocs: [restrictedKnoc()] })
  const feed = (remoteAddress: string, forwardedFor: string) =>
    testApp.app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', remoteAddress, headers: { ...testApp.feedAuth(), 'x-forwarded-for': forwardedFor } })

  const viaProxy = await feed(proxy, allowedClient)
  t.equal(viaProxy.statusCode, 200, 'the trusted proxy forwards an allowed client')

  const direct = await feed(outsider, allowedClient)
  t.equal(direct.statusCode, 403, 'an untrusted client forging the header is refused')
  t.match(direct.json().message, outsider, 'and the message names its real address')

  const chained = await feed(proxy, `${allowedClient}, ${outsider}`)
  t.equal(chained.statusCode, 403, 'a forged first hop is ignored: the address the proxy saw counts')
  t.match(chained.json().message, outsider, 'the message names the address the proxy saw')

  const outsiderViaProxy = await feed(proxy, outsider)
  t.equal(outsiderViaProxy.statusCode, 403, 'the trusted proxy forwarding an outsider is refused')

  const bareProxy = await testApp.app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', remoteAddress: proxy, headers: testApp.feedAuth() })
  t.equal(bareProxy.statusCode, 403, 'the proxy address itself is not in allowFrom')
})

t.test('rate limit follows the forwarded address', async (t) => {
  const testApp = await buildTestApp(t, { server: { trustProxy: ['10.0.0.0/8'] } })
  const admin = (forwardedFor: string, token: string) =>
    testApp.app.inject({ method: 'GET', url: '/v1/knocs', remoteAddress: proxy, headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor } })
  for (let attempt = 0; attempt < 10; attempt++) await admin(outsider, 'wrong-token-0123456789')
  t.equal((await admin(outsider, 'wrong-token-0123456789')).statusCode, 429, 'the guessing client behind the proxy is limited')
  t.equal((await admin(allowedClient, testApp.auth.authorization.slice('Bearer '.length))).statusCode, 200, 'other clients behind the same proxy are not')
})
