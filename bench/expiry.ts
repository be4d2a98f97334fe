// Expiry precision: time from a grant's expiresAt to the address leaving the
// .txt feed, and to knocklist's DELETE reaching the emulated router. Grants
// with a 2 s ttl are started 100 ms apart; the feed is polled every 10 ms.
import { setTimeout as sleep } from 'node:timers/promises'
import { benchAddresses, feedPassword, getFeed, log, machine, median, percentile, postGrant, report, round, runCount, startKnocklist } from './lib/common.js'
import { activeKnoc, routerStatus, startTimedEmulator, waitForStartReconcile } from './lib/router.js'

const grantsPerRun = 20
const runs = runCount()
const router = await startTimedEmulator()
const knoc = { ...activeKnoc('exp', router.emulator, 'knocklist-exp'), feed: { password: feedPassword } }
const server = await startKnocklist({ knocs: [knoc] })
const feedDelays: number[] = []
const routerDelays: number[] = []
try {
  await waitForStartReconcile(server.baseUrl, 'exp')
  for (let run = 0; run < runs; run++) {
    // IPv4 only: the router request is matched by the address it names.
    const addresses = benchAddresses(grantsPerRun * 2, run * 1000).filter((address) => !address.includes(':')).slice(0, grantsPerRun)
    const expiries = new Map<string, number>()
    // Router entry ids by address, read while the entries exist: the router's
    // own timeout may drop an entry before knocklist's DELETE arrives.
    const ids = new Map<string, string>()
    const noteIds = () => {
      for (const entry of router.emulator.tables.ipv4.all()) ids.set(entry.id, entry.address)
    }
    for (const address of addresses) {
      noteIds()
      const reply = await postGrant(server.baseUrl, 'exp', { address, ttl: 2 })
      if (reply.status !== 201) throw new Error(`grant failed with ${reply.status}`)
      expiries.set(address, Date.parse(String(reply.json.expiresAt)))
      await sleep(100)
    }
    // performance.now() of the router requests maps to wall time through
    // this offset.
    const offset = Date.now() - performance.now()
    const leftFeed = new Map<string, number>()
    const until = Date.now() + 15_000
    while (leftFeed.size < addresses.length && Date.now() < until) {
      const lines = new Set((await getFeed(server.baseUrl, 'exp')).body.toString('utf8').split('\n'))
      noteIds()
      const now = Date.now()
      for (const address of addresses) if (!lines.has(address) && !leftFeed.has(address)) leftFeed.set(address, now)
      await sleep(10)
    }
    await sleep(500)
    for (const address of addresses) {
      const expiresAt = expiries.get(address)!
      const removed = leftFeed.get(address)
      if (removed === undefined) throw new Error(`${address} still in the feed 15 s after its expiry`)
      feedDelays.push(removed - expiresAt)
      const deletion = router.timed.find((request) => request.method === 'DELETE' && ids.get(request.path.split('/').pop() ?? '') === address)
      if (deletion === undefined) {
        // Names what the router did see for this address, and the router
        // status knocklist reports, so a rare miss can be distinguished from
        // a push still waiting behind a retry.
        const entryIds = [...ids].filter(([, entryAddress]) => entryAddress === address).map(([id]) => id)
        const seen = router.timed.filter((request) => entryIds.some((id) => request.path.endsWith(`/${id}`)) || JSON.stringify(request.body ?? '').includes(address))
        const status = await routerStatus(server.baseUrl, 'exp')
        throw new Error(
          `no DELETE for ${address} reached the router; entry ids ${JSON.stringify(entryIds)}, ` +
            `requests ${JSON.stringify(seen.map((request) => `${request.method} ${request.path}`))}, router status ${JSON.stringify(status)}`,
        )
      }
      routerDelays.push(deletion.at + offset - expiresAt)
    }
    log(`expiry run ${run + 1}: feed p50 ${round(median(feedDelays.slice(-grantsPerRun)), 0)} ms, router p50 ${round(median(routerDelays.slice(-grantsPerRun)), 0)} ms`)
  }
} finally {
  await server.stop()
  await router.close()
}

report({
  bench: 'expiry',
  machine: machine(),
  runs,
  results: [
    {
      figure: 'expiry precision',
      grants: feedDelays.length,
      feedP50Ms: round(percentile(feedDelays, 50), 0),
      feedMaxMs: round(Math.max(...feedDelays), 0),
      routerP50Ms: round(percentile(routerDelays, 50), 0),
      routerMaxMs: round(Math.max(...routerDelays), 0),
      aim: '< 1 s',
      met: Math.max(...feedDelays, ...routerDelays) < 1000,
    },
  ],
})
