// Push latency: from sending POST /v1/knocs/{knoc}/grants to the emulated
// router starting to serve the PUT that adds the address, with grants sent
// open-loop at 100 per second. knocklist runs as its own process on core 0;
// the emulator and the client share core 1.
import { setTimeout as sleep } from 'node:timers/promises'
import { benchAddresses, log, machine, median, percentile, postGrant, report, round, runCount, startKnocklist } from './lib/common.js'
import { activeKnoc, startTimedEmulator, waitForStartReconcile } from './lib/router.js'

const ratePerSecond = 100
const grantsPerRun = 500
const runs = runCount()

const router = await startTimedEmulator()
const server = await startKnocklist({ knocs: [activeKnoc('push', router.emulator, 'knocklist-push')] })
const p50s: number[] = []
const p99s: number[] = []
const maxima: number[] = []
const pushRates: number[] = []
try {
  await waitForStartReconcile(server.baseUrl, 'push')
  for (let run = 0; run < runs; run++) {
    const addresses = benchAddresses(grantsPerRun, run * grantsPerRun)
    const sentAt = new Map<string, number>()
    const failures: string[] = []
    const pending: Array<Promise<void>> = []
    const started = performance.now()
    for (let index = 0; index < addresses.length; index++) {
      // Open loop: each grant leaves at its slot, whether or not earlier
      // ones have completed.
      const delay = started + (index * 1000) / ratePerSecond - performance.now()
      if (delay > 0) await sleep(delay)
      const address = addresses[index]!
      sentAt.set(address, performance.now())
      pending.push(
        postGrant(server.baseUrl, 'push', { address, ttl: '1h' }).then((reply) => {
          if (reply.status !== 201) failures.push(`${address}: ${reply.status}`)
        }),
      )
    }
    await Promise.all(pending)
    if (failures.length > 0) throw new Error(`grants failed: ${failures.slice(0, 5).join(', ')}`)

    const until = Date.now() + 10_000
    const latencies = new Map<string, number>()
    while (latencies.size < addresses.length && Date.now() < until) {
      for (const request of router.timed) {
        if (request.method !== 'PUT') continue
        // knocklist writes IPv6 hosts with /128, as RouterOS prints them.
        const address = (request.body as { address?: string } | undefined)?.address?.replace(/\/128$/, '')
        const sent = address === undefined ? undefined : sentAt.get(address)
        if (sent !== undefined && !latencies.has(address!)) latencies.set(address!, request.at - sent)
      }
      await sleep(20)
    }
    if (latencies.size < addresses.length) throw new Error(`only ${latencies.size} of ${addresses.length} grants reached the router within 10 s`)
    const values = [...latencies.values()]
    // How fast the router took PUTs: below the offered rate, a queue builds.
    const puts = router.timed.filter((request) => request.method === 'PUT').map((request) => request.at)
    pushRates.push((puts.length - 1) / ((Math.max(...puts) - Math.min(...puts)) / 1000))
    p50s.push(percentile(values, 50))
    p99s.push(percentile(values, 99))
    maxima.push(Math.max(...values))
    log(`push run ${run + 1}: p50 ${round(p50s.at(-1)!)} ms, p99 ${round(p99s.at(-1)!)} ms, max ${round(maxima.at(-1)!)} ms, ${round(pushRates.at(-1)!, 0)} PUTs/s`)
    router.timed.length = 0
  }
} finally {
  await server.stop()
  await router.close()
}

report({
  bench: 'push-latency',
  machine: machine(),
  runs,
  results: [
    {
      figure: 'push latency',
      ratePerSecond,
      grantsPerRun,
      p50Ms: round(median(p50s)),
      p99Ms: round(median(p99s)),
      maxMs: round(median(maxima)),
      putsPerSecond: round(median(pushRates), 0),
      p99PerRun: p99s.map((value) => round(value)),
      aim: 'p99 < 50 ms',
      met: median(p99s) < 50,
    },
  ],
})
