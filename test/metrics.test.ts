import { createServer } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { parseConfig } from '../src/config/load.js'
import { startServer } from '../src/server.js'
import { adminToken, buildTestApp, feedPassword, getText, listen, postJson, temporaryDirectory, waitFor } from './helpers/app.js'
import { SERVICE_USER, startRouterEmulator } from './fixtures/routeros/emulator.js'

const feedAuth = { authorization: `Basic ${Buffer.from(`feed:${feedPassword}`).toString('base64')}` }

// Parses the Prometheus text format into "name{labels}" -> value.
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('metrics after a scripted scenario', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const testApp = await buildTestApp(t, {
    knocs: [
      { name: 'demo', feed: { password: feedPassword } },
      { name: 'edge', mode: 'active', routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint }] },
    ],
  })
  const base = await listen(testApp)

  const grant = await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1' })
  await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.1' })
  await postJson(base, '/v1/knocs/demo/grants', { address: '192.0.2.2' })
  await fetch(`${base}/v1/grants/${grant.json?.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } })
  await getText(base, '/v1/feeds/demo.txt', feedAuth)
  const etag = (await getText(base, '/v1/feeds/demo.txt', feedAuth)).headers.get('etag')!
  await getText(base, '/v1/feeds/demo.txt', { ...feedAuth, 'if-none-match': etag })
  await getText(base, '/v1/feeds/demo.json', { authorization: `Basic ${Buffer.from('feed:wrong').toString('base64')}` })
  await postJson(base, '/v1/knocs/edge/grants', { address: '198.51.100.1' })
  await waitFor(() => emulator.tables.ipv4.all().length === 1, 3000, 'the push')
  await postJson(base, '/v1/knocs/edge/sync', {})

  const reply = await getText(base, '/metrics')
  t.equal(reply.status, 200, 'status 200')
  t.match(reply.headers.get('content-type'), 'text/plain', 'Prometheus text format')
  const samples = parseMetrics(reply.text)
  t.equal(samples.get('knocklist_active_grants{knoc="demo"}'), 2, 'active grants of demo')
  t.equal(samples.get('knocklist_active_addresses{knoc="demo"}'), 2, 'active addresses of demo')
  t.equal(samples.get('knocklist_grant_events_total{knoc="demo",event="created"}'), 3, 'grants created')
  t.equal(samples.get('knocklist_grant_events_total{knoc="demo",event="revoked"}'), 1, 'grants revoked')
  t.equal(samples.get('knocklist_feed_requests_total{knoc="demo",format="txt",status="200"}'), 2, 'feed 200s')
  t.equal(samples.get('knocklist_feed_requests_total{knoc="demo",format="txt",status="304"}'), 1, 'feed 304s')
  t.equal(samples.get('knocklist_feed_requests_total{knoc="demo",format="json",status="401"}'), 1, 'feed 401s')
  t.ok((samples.get('knocklist_feed_render_seconds_count{knoc="demo",format="txt"}') ?? 0) >= 1, 'render time observed')
  t.equal(samples.get('knocklist_router_push_seconds_count{knoc="edge",router="edge1",action="add"}'), 1, 'one push latency sample')
  t.equal(samples.get('knocklist_router_up{knoc="edge",router="edge1"}'), 1, 'router up')
  t.equal(samples.get('knocklist_router_queue_length{knoc="edge",router="edge1"}'), 0, 'queue empty')
  t.ok((samples.get('knocklist_router_reconciles_total{knoc="edge",router="edge1",reason="requested"}') ?? 0) >= 1, 'requested reconcile counted')
  t.ok(samples.has('process_resident_memory_bytes') || samples.has('process_cpu_user_seconds_total'), 'default process metrics present')
})

t.test('router errors counted by code', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const testApp = await buildTestApp(t, {
    knocs: [{ name: 'edge', mode: 'active', routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: 'wrong-password', fingerprint: emulator.fingerprint }] }],
  })
  const base = await listen(testApp)
  await waitFor(async () => parseMetrics((await getText(base, '/metrics')).text).has('knocklist_router_errors_total{knoc="edge",router="edge1",code="208001"}'), 3000, 'the 208001 counter')
  const samples = parseMetrics((await getText(base, '/metrics')).text)
  t.equal(samples.get('knocklist_router_up{knoc="edge",router="edge1"}'), 0, 'router down')
})

t.test('metrics token and separate listener', async (t) => {
  const dataDir = temporaryDirectory(t)
  const port = await freePort()
  const config = parseConfig(
    { server: { port: 0 }, dataDir, adminTokens: [{ name: 'ops', token: adminToken }], knocs: [{ name: 'demo' }], metrics: { listen: { host: '127.0.0.1', port }, token: 'metrics-token-0123456789' } },
    { source: 'test', baseDir: dataDir, env: {} },
  )
  const server = await startServer({ config, file: 'test' }, pino({ level: 'silent' }))
  t.teardown(() => server.close())

  t.equal((await getText(server.address, '/metrics')).status, 404, 'not on the main listener')
  const metricsUrl = `http://127.0.0.1:${port}`
  t.equal((await getText(metricsUrl, '/metrics')).status, 401, 'no token: 401')
  t.equal((await getText(metricsUrl, '/metrics', { authorization: 'Bearer nope' })).status, 401, 'wrong token: 401')
  const ok = await getText(metricsUrl, '/metrics', { authorization: 'Bearer metrics-token-0123456789' })
  t.equal(ok.status, 200, 'right token: 200')
  t.match(ok.text, 'knocklist_active_grants', 'serves the metrics')
})

t.test('readyz lists unreachable routers without failing', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const testApp = await buildTestApp(t, {
    knocs: [{ name: 'edge', mode: 'active', routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: 'wrong-password', fingerprint: emulator.fingerprint }] }],
  })
  const base = await listen(testApp)
  await waitFor(async () => JSON.parse((await getText(base, '/readyz')).text).unreachableRouters.length === 1, 3000, 'the router to show as unreachable')
  const ready = await getText(base, '/readyz')
  t.equal(ready.status, 200, 'still ready')
  t.same(JSON.parse(ready.text).unreachableRouters.map((router: { router: string; code: number }) => `${router.router} ${router.code}`), ['edge1 208001'], 'names the router and its code')
  t.equal((await getText(base, '/healthz')).status, 200, 'healthz 200')
})
