// Reconcile: with 10,000 and 100,000 managed entries in step on the emulated
// router, 1 % of them drift (a third missing, a third with a wrong timeout,
// a third stale entries no grant covers), then POST /v1/knocs/{knoc}/sync.
// Counts the requests knocklist sends and the wall time of the sync.
import { benchAddresses, adminToken, log, machine, median, report, round, runCount, startKnocklist } from './lib/common.js'
import { activeKnoc, startTimedEmulator, waitForStartReconcile } from './lib/router.js'
import { seedGrants } from './lib/seed.js'

const runs = runCount()
const list = 'knocklist-rec'
const tag = 'knocklist:rec'
const results: Array<Record<string, unknown>> = []

for (const size of [10_000, 100_000]) {
  const router = await startTimedEmulator()
  const { emulator } = router
  const addresses = benchAddresses(size)
  const expiresAt = Date.now() + 20 * 3600_000
  const familyOf = (address: string) => (address.includes(':') ? 'ipv6' : 'ipv4')
  for (const address of addresses) {
    emulator.tables[familyOf(address)].add({ list, address, timeout: Math.ceil((expiresAt - Date.now()) / 1000), comment: tag })
  }
  const server = await startKnocklist({
    knocs: [activeKnoc('rec', emulator, list)],
    prepare: (dataDir) => seedGrants(dataDir, addresses.map((address) => ({ knoc: 'rec', address, expiresAt }))),
  })
  try {
    const start = await waitForStartReconcile(server.baseUrl, 'rec')
    if ((start.lastReconcile?.unchanged ?? 0) !== size) throw new Error(`start reconcile: ${JSON.stringify(start.lastReconcile)}, expected ${size} unchanged`)

    const requestCounts: number[] = []
    const wallMs: number[] = []
    for (let run = 0; run < runs; run++) {
      const drift = size / 100
      const third = Math.floor(drift / 3)
      // Different entries each run, so every run repairs fresh drift.
      const base = run * drift
      const missing = addresses.slice(base, base + third)
      const retimed = addresses.slice(base + third, base + 2 * third)
      const staleCount = drift - 2 * third
      // Entry ids by address, read once: a scan per address would take
      // minutes at 100,000 entries.
      const ids = new Map<string, string>()
      for (const family of ['ipv4', 'ipv6'] as const) {
        for (const entry of emulator.tables[family].all()) if (entry.list === list) ids.set(entry.address.replace(/\/128$/, ''), entry.id)
      }
      for (const address of missing) emulator.tables[familyOf(address)].remove(ids.get(address)!)
      for (const address of retimed) emulator.tables[familyOf(address)].set(ids.get(address)!, { timeout: 60 })
      for (const address of benchAddresses(staleCount, 1_000_000 + run * staleCount)) {
        emulator.tables[familyOf(address)].add({ list, address, timeout: 3600, comment: tag })
      }

      const before = router.timed.length
      const started = performance.now()
      const reply = await fetch(`${server.baseUrl}/v1/knocs/rec/sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(600_000),
      })
      const elapsed = performance.now() - started
      const body = (await reply.json()) as { routers: Array<{ ok: boolean; result?: { added: number; updated: number; removed: number } }> }
      const result = body.routers[0]?.result
      if (reply.status !== 200 || result === undefined) throw new Error(`sync failed: ${JSON.stringify(body)}`)
      if (result.added !== missing.length || result.updated !== retimed.length || result.removed !== staleCount) {
        throw new Error(`sync repaired ${JSON.stringify(result)}, expected ${missing.length} added, ${retimed.length} updated, ${staleCount} removed`)
      }
      const sent = router.timed.slice(before)
      requestCounts.push(sent.length)
      wallMs.push(elapsed)
      const reads = sent.filter((request) => request.method === 'GET').length
      log(`reconcile ${size} run ${run + 1}: ${sent.length} requests (${reads} reads, ${drift} differences), ${round(elapsed, 0)} ms`)
      if (run === 0) {
        results.push({
          figure: `reconcile, ${size.toLocaleString('en')} entries, 1 % drift`,
          entries: size,
          differences: drift,
          reads,
          readPaths: [...new Set(sent.filter((request) => request.method === 'GET').map((request) => request.path.split('?')[0]))],
          expectedRequests: reads + drift,
        })
      }
    }
    Object.assign(results.at(-1)!, {
      requests: median(requestCounts),
      wallMs: round(median(wallMs), 0),
      wallMsPerRun: wallMs.map((value) => round(value, 0)),
      aim: 'requests = reads (one per family, plus the uptime read) + one per difference',
      met: requestCounts.every((count) => count === (results.at(-1)!.expectedRequests as number)),
    })
  } finally {
    await server.stop()
    await router.close()
  }
}

report({ bench: 'reconcile', machine: machine(), runs, results })
