import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { Agent, fetch } from 'undici'
import { temporaryDirectory } from './helpers/app.js'
import { startServerProcess } from './helpers/process.js'

// A self-signed certificate for 127.0.0.1 that is its own CA.
const tlsDirectory = fileURLToPath(new URL('./fixtures/routeros/tls/', import.meta.url))
const certFile = path.join(tlsDirectory, 'router.cert.pem')
const keyFile = path.join(tlsDirectory, 'router.key.pem')
const otherCa = path.join(tlsDirectory, 'router-replaced.cert.pem')
const token = 'https-test-admin-token-0123456789'
const password = 'https-test-feed-password'

t.test('feed served over HTTPS', async (t) => {
  const cwd = temporaryDirectory(t)
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(
    configFile,
    [
      'server:',
      '  port: 0',
      `  tls: { cert: ${JSON.stringify(certFile)}, key: ${JSON.stringify(keyFile)} }`,
      `adminTokens: [{ name: ops, token: ${token} }]`,
      `knocs: [{ name: demo, feed: { password: ${password} } }]`,
      '',
    ].join('\n'),
  )
  const server = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the start log names an https:// address')

  const trusting = new Agent({ connect: { ca: readFileSync(certFile, 'utf8') } })
  t.teardown(() => trusting.close())
  const granted = await fetch(`${server.url}/v1/knocs/demo/grants`, {
    method: 'POST',
    dispatcher: trusting,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address: '192.0.2.44', ttl: '5m' }),
  })
  t.equal(granted.status, 201, 'a grant over HTTPS is acknowledged')

  const feed = await fetch(`${server.url}/v1/feeds/demo.txt`, {
    dispatcher: trusting,
    headers: { authorization: `Basic ${Buffer.from(`feed:${password}`).toString('base64')}` },
  })
  t.equal(feed.status, 200, 'the feed is served over HTTPS')
  t.equal(await feed.text(), '192.0.2.44\n', 'with the granted address')

  const distrusting = new Agent({ connect: { ca: readFileSync(otherCa, 'utf8') } })
  t.teardown(() => distrusting.close())
  const untrusted = await fetch(`${server.url}/healthz`, { dispatcher: distrusting }).then(
    () => 'connected',
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
  )
  t.match(untrusted, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/, `a client trusting another CA refuses the server (${untrusted})`)

  const plain = await fetch(server.url.replace('https:', 'http:') + '/healthz').then(
    (reply) => reply.status,
    () => 'failed',
  )
  t.not(plain, 200, 'plain HTTP to the HTTPS port gets no feed')
  server.child.kill('SIGTERM')
  t.equal((await server.exited).code, 0, 'the server stops cleanly')
})
