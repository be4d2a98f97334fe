// Feed throughput: knocklist's .txt feed (HTTP Basic auth, cached body)
// against nginx serving the same bytes as a static file, under the same wrk
// load in the same run. A bare node:http server and a bare Fastify route with
// the same Basic auth and ETag handling run alongside, to show how much of
// the gap is Node itself and how much the framework. Also the 100,000-entry feed: requests per second,
// p99 latency, and how long the first request after a change takes.
import { setTimeout as sleep } from 'node:timers/promises'
import {
  basicAuth, benchAddresses, ensureTools, feedLoad, feedPassword, getFeed, log, machine, median, postGrant, report, round, runCount, runWrk,
  startKnocklist, startNginx, startNodeReference, type WrkResult,
} from './lib/common.js'
import { seedGrants } from './lib/seed.js'

const sizes = { 'feed-100': 100, 'feed-10k': 10_000, 'feed-100k': 100_000 } as const
type FeedName = keyof typeof sizes

interface Case {
  name: string
  feed: FeedName
  notModified: boolean
  aim: number
}

const cases: Case[] = [
  { name: '10,000 entries, 200', feed: 'feed-10k', notModified: false, aim: 0.9 },
  { name: '10,000 entries, 304', feed: 'feed-10k', notModified: true, aim: 0.6 },
  { name: '100 entries, 200', feed: 'feed-100', notModified: false, aim: 0.6 },
]

const knocDefinition = (name: string) => ({ name, mode: 'passive', ttl: { default: '1d', max: '1d' }, feed: { password: feedPassword } })

ensureTools({ nginx: 'nginx', wrk: 'wrk' })
const runs = runCount()
log(`feed throughput: ${runs} runs, ${feedLoad.connections} connections, ${feedLoad.durationSeconds} s each`)

let offset = 0
const expiresAt = Date.now() + 20 * 3600_000
const server = await startKnocklist({
  knocs: Object.keys(sizes).map(knocDefinition),
  prepare: (dataDir) => {
    const grants = Object.entries(sizes).flatMap(([knoc, count]) => {
      const addresses = benchAddresses(count, offset)
      offset += count
      return addresses.map((address) => ({ knoc, address, expiresAt }))
    })
    seedGrants(dataDir, grants)
  },
})

const bodies: Record<string, Buffer> = {}
const knocklistEtags: Partial<Record<FeedName, string>> = {}
for (const feed of Object.keys(sizes) as FeedName[]) {
  const reply = await getFeed(server.baseUrl, feed)
  const lines = reply.body.toString('utf8').split('\n').length - 1
  if (reply.status !== 200 || lines !== sizes[feed]) throw new Error(`${feed}: expected 200 with ${sizes[feed]} lines, got ${reply.status} with ${lines}`)
  bodies[`${feed}.txt`] = reply.body
  knocklistEtags[feed] = reply.etag ?? ''
}
const nginx = await startNginx(bodies)
const nginxEtags: Partial<Record<FeedName, string>> = {}
for (const feed of Object.keys(sizes) as FeedName[]) {
  const reply = await fetch(`${nginx.baseUrl}/${feed}.txt`)
  const body = Buffer.from(await reply.arrayBuffer())
  if (!body.equals(bodies[`${feed}.txt`]!)) throw new Error(`nginx does not serve the same bytes for ${feed}`)
  nginxEtags[feed] = reply.headers.get('etag') ?? ''
}

const reference = await startNodeReference(bodies)
const fastifyReference = await startNodeReference(bodies, 'fastify')
const referenceEtags: Partial<Record<FeedName, string>> = {}
for (const feed of Object.keys(sizes) as FeedName[]) {
  for (const server of [reference, fastifyReference]) {
    const reply = await fetch(`${server.baseUrl}/${feed}.txt`, { headers: { Authorization: basicAuth } })
    const body = Buffer.from(await reply.arrayBuffer())
    if (!body.equals(bodies[`${feed}.txt`]!)) throw new Error(`a reference server at ${server.baseUrl} does not serve the same bytes for ${feed}`)
    referenceEtags[feed] = reply.headers.get('etag') ?? ''
  }
}

type ServerName = 'knocklist' | 'nginx' | 'node' | 'fastify'

function targets(testCase: Case): Record<ServerName, { url: string; headers: Record<string, string> }> {
  const knocklistHeaders: Record<string, string> = { Authorization: basicAuth }
  const nginxHeaders: Record<string, string> = {}
  const referenceHeaders: Record<string, string> = { Authorization: basicAuth }
  if (testCase.notModified) {
    knocklistHeaders['If-None-Match'] = knocklistEtags[testCase.feed]!
    nginxHeaders['If-None-Match'] = nginxEtags[testCase.feed]!
    referenceHeaders['If-None-Match'] = referenceEtags[testCase.feed]!
  }
  return {
    knocklist: { url: `${server.baseUrl}/v1/feeds/${testCase.feed}.txt`, headers: knocklistHeaders },
    nginx: { url: `${nginx.baseUrl}/${testCase.feed}.txt`, headers: nginxHeaders },
    node: { url: `${reference.baseUrl}/${testCase.feed}.txt`, headers: referenceHeaders },
    fastify: { url: `${fastifyReference.baseUrl}/${testCase.feed}.txt`, headers: referenceHeaders },
  }
}

function checked(result: WrkResult, label: string): WrkResult {
  if (result.errors > 0) throw new Error(`${label}: ${result.errors} failed requests`)
  return result
}

const results: Array<Record<string, unknown>> = []
try {
  for (const testCase of cases) {
    const target = targets(testCase)
    // Warm-up: lets V8 optimise the request path before the measured runs.
    await runWrk(target.knocklist.url, target.knocklist.headers, { ...feedLoad, durationSeconds: 2 })
    await runWrk(target.nginx.url, target.nginx.headers, { ...feedLoad, durationSeconds: 2 })
    await runWrk(target.node.url, target.node.headers, { ...feedLoad, durationSeconds: 2 })
    await runWrk(target.fastify.url, target.fastify.headers, { ...feedLoad, durationSeconds: 2 })
    const ratios: number[] = []
    const knocklistRps: number[] = []
    const nginxRps: number[] = []
    const nodeRps: number[] = []
    const fastifyRps: number[] = []
    for (let run = 0; run < runs; run++) {
      // Alternate who goes first, so a drift in machine load hits all alike.
      const order: ServerName[] = run % 2 === 0 ? ['nginx', 'node', 'fastify', 'knocklist'] : ['knocklist', 'fastify', 'node', 'nginx']
      const measured: Record<string, number> = {}
      for (const serverName of order) {
        const result = checked(await runWrk(target[serverName].url, target[serverName].headers), `${testCase.name} ${serverName}`)
        measured[serverName] = result.requestsPerSecond
        await sleep(200)
      }
      knocklistRps.push(measured.knocklist!)
      nginxRps.push(measured.nginx!)
      nodeRps.push(measured.node!)
      fastifyRps.push(measured.fastify!)
      ratios.push(measured.knocklist! / measured.nginx!)
      log(
        `${testCase.name} run ${run + 1}: knocklist ${round(measured.knocklist!, 0)}/s, nginx ${round(measured.nginx!, 0)}/s, ` +
          `node:http ${round(measured.node!, 0)}/s, fastify ${round(measured.fastify!, 0)}/s, ratio ${round(measured.knocklist! / measured.nginx!)}`,
      )
    }
    const ratio = median(ratios)
    results.push({
      figure: `feed throughput, ${testCase.name}`,
      knocklistRps: round(median(knocklistRps), 0),
      nginxRps: round(median(nginxRps), 0),
      nodeReferenceRps: round(median(nodeRps), 0),
      nodeReferenceRatio: round(median(nodeRps.map((rps, index) => rps / nginxRps[index]!))),
      fastifyReferenceRps: round(median(fastifyRps), 0),
      fastifyReferenceRatio: round(median(fastifyRps.map((rps, index) => rps / nginxRps[index]!))),
      ratio: round(ratio),
      ratios: ratios.map((value) => round(value)),
      aim: `ratio >= ${testCase.aim}`,
      met: ratio >= testCase.aim,
    })
  }

  // 100,000 entries: throughput and p99 of the cached feed, nginx alongside.
  const large = targets({ name: '100,000 entries', feed: 'feed-100k', notModified: false, aim: 0 })
  await runWrk(large.knocklist.url, large.knocklist.headers, { ...feedLoad, durationSeconds: 2 })
  await runWrk(large.nginx.url, large.nginx.headers, { ...feedLoad, durationSeconds: 2 })
  const largeRuns: WrkResult[] = []
  const largeNginx: WrkResult[] = []
  for (let run = 0; run < runs; run++) {
    largeRuns.push(checked(await runWrk(large.knocklist.url, large.knocklist.headers), '100k knocklist'))
    largeNginx.push(checked(await runWrk(large.nginx.url, large.nginx.headers), '100k nginx'))
    log(`100k run ${run + 1}: knocklist ${round(largeRuns.at(-1)!.requestsPerSecond, 0)}/s p99 ${largeRuns.at(-1)!.latencyMs.p99} ms, nginx ${round(largeNginx.at(-1)!.requestsPerSecond, 0)}/s`)
  }

  // Render after a change: a new grant makes a new version, so the next
  // request sorts the entries and renders the body; the one after is cached.
  const firstMs: number[] = []
  const cachedMs: number[] = []
  for (let change = 0; change < 5; change++) {
    const granted = await postGrant(server.baseUrl, 'feed-100k', { address: benchAddresses(1, 200_000 + change)[0], ttl: '1h' })
    if (granted.status !== 201) throw new Error(`grant failed with ${granted.status}`)
    let started = performance.now()
    const first = await getFeed(server.baseUrl, 'feed-100k')
    firstMs.push(performance.now() - started)
    if (first.body.toString('utf8').split('\n').length - 1 !== 100_001 + change) throw new Error('the feed after a change has the wrong length')
    started = performance.now()
    await getFeed(server.baseUrl, 'feed-100k')
    cachedMs.push(performance.now() - started)
    await sleep(100)
  }
  results.push({
    figure: 'feed with 100,000 entries',
    bodyBytes: bodies['feed-100k.txt']!.length,
    knocklistRps: round(median(largeRuns.map((run) => run.requestsPerSecond)), 0),
    p99Ms: round(median(largeRuns.map((run) => run.latencyMs.p99)), 1),
    p50Ms: round(median(largeRuns.map((run) => run.latencyMs.p50)), 1),
    nginxRps: round(median(largeNginx.map((run) => run.requestsPerSecond)), 0),
    nginxP99Ms: round(median(largeNginx.map((run) => run.latencyMs.p99)), 1),
    firstRequestAfterChangeMs: round(median(firstMs), 1),
    cachedRequestMs: round(median(cachedMs), 1),
    renderAfterChangeMs: round(median(firstMs) - median(cachedMs), 1),
    aim: 'report',
  })
} finally {
  await nginx.stop()
  await reference.stop()
  await fastifyReference.stop()
  await server.stop()
}

report({ bench: 'feed-throughput', machine: machine(), load: feedLoad, runs, results })
