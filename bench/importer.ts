// Importer cost: interpreter steps (one per executed RouterOS command) of the
// passive-mode importer script per scheduled run, when nothing changed and
// when 1 % of the entries changed, at 1,000 and 10,000 entries. Uses the
// test RouterOS interpreter and the test feed server, which serves the data
// pages the way knocklist renders them. Steps are deterministic, so one run
// per case is enough.
import { renderSetupScript } from '../src/routeros/script/setup.js'
import type { FeedSnapshotEntry } from '../src/routeros/script/snapshot.js'
import { ManualClock } from '../test/fixtures/routeros/address-list.js'
import { FeedServer } from '../test/fixtures/routeros-interpreter/feed-server.js'
import { RouterOsInterpreter } from '../test/fixtures/routeros-interpreter/interpreter.js'
import { benchAddresses, log, machine, report } from './lib/common.js'

const hour = 3_600_000
const list = 'knocklist-imp'
const results: Array<Record<string, unknown>> = []

function entries(count: number, now: number): FeedSnapshotEntry[] {
  return benchAddresses(count).map((address, index) => ({
    address,
    family: address.includes(':') ? 'ipv6' : 'ipv4',
    expiresAt: now + hour + index * 1000,
  }))
}

const unchangedBySize: number[] = []
for (const size of [1_000, 10_000]) {
  const clock = new ManualClock()
  const server = new FeedServer({ username: 'feed', password: 'bench-feed-secret', clock, snapshot: { knoc: 'imp', version: 1, entries: entries(size, clock.now()) } })
  const baseUrl = await server.start()
  try {
    const router = new RouterOsInterpreter({ clock })
    await router.paste(
      renderSetupScript({ knoc: 'imp', addressList: list, baseUrl, feedUsername: 'feed', feedPassword: 'bench-feed-secret', pollIntervalSeconds: 60, checkCertificate: false }),
    )
    let start = router.steps
    await router.runStartupSchedulers()
    const initial = router.steps - start
    const onRouter = () => [...router.ipv4.all(), ...router.ipv6.all()].filter((entry) => entry.list === list).length
    if (onRouter() !== size) throw new Error(`the first run left ${onRouter()} entries, expected ${size}`)

    // Nothing changed: knocklist serves the same version.
    start = router.steps
    await router.runPeriodicSchedulers()
    const unchanged = router.steps - start
    unchangedBySize.push(unchanged)

    // A new version with the same entries (a grant made and revoked between
    // two polls): the importer reads the pages, and finds nothing to change.
    server.snapshot = { ...server.snapshot, version: server.snapshot.version + 1 }
    start = router.steps
    await router.runPeriodicSchedulers()
    const sameEntries = router.steps - start

    // 1 % of the entries get a later expiry.
    server.snapshot = {
      ...server.snapshot,
      version: server.snapshot.version + 1,
      entries: server.snapshot.entries.map((entry, index) => (index % 100 === 0 ? { ...entry, expiresAt: entry.expiresAt + 4 * hour } : entry)),
    }
    start = router.steps
    await router.runPeriodicSchedulers()
    const changed = router.steps - start
    log(`importer ${size}: first run ${initial} steps, unchanged ${unchanged}, new version with the same entries ${sameEntries}, 1 % changed ${changed}`)
    results.push({ figure: `importer cost, ${size.toLocaleString('en')} entries`, entries: size, firstRunSteps: initial, unchangedSteps: unchanged, newVersionSameEntriesSteps: sameEntries, onePercentChangedSteps: changed })
  } finally {
    await server.close()
  }
}
for (const result of results) {
  Object.assign(result, { aim: 'no-change run independent of list size', met: unchangedBySize[0] === unchangedBySize[1] })
}

report({ bench: 'importer', machine: machine(), runs: 1, results })
