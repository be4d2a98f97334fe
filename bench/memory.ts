// Memory: resident set size of a knocklist process with 100,000 active
// grants over 100 passive knocs, after every knoc's .txt and .json feed has
// been rendered once (so the feed cache contains them too).
import { setTimeout as sleep } from 'node:timers/promises'
import { basicAuth, benchAddresses, feedPassword, log, machine, median, report, round, runCount, startKnocklist } from './lib/common.js'
import { seedGrants } from './lib/seed.js'

const knocCount = 100
const grantsPerKnoc = 1_000
const runs = runCount()
const knocs = Array.from({ length: knocCount }, (_, index) => `mem-${index}`)
const idle: number[] = []
const afterFeeds: number[] = []
const peaks: number[] = []
const empty: number[] = []

for (let run = 0; run < runs; run++) {
  // The same process with no grants, to separate what the grants cost from
  // Node, fastify and the modules.
  const bare = await startKnocklist({ knocs: knocs.map((name) => ({ name, mode: 'passive', feed: { password: feedPassword } })) })
  await sleep(1000)
  empty.push(bare.memory().rssMiB)
  await bare.stop()

  const expiresAt = Date.now() + 20 * 3600_000
  const server = await startKnocklist({
    knocs: knocs.map((name) => ({ name, mode: 'passive', ttl: { default: '1h', max: '1d' }, feed: { password: feedPassword } })),
    prepare: (dataDir) =>
      seedGrants(dataDir, knocs.flatMap((knoc, index) => benchAddresses(grantsPerKnoc, index * grantsPerKnoc).map((address) => ({ knoc, address, expiresAt, user: 'bench-user' })))),
  })
  try {
    await sleep(1000)
    idle.push(server.memory().rssMiB)
    for (const knoc of knocs) {
      for (const format of ['txt', 'json']) {
        const reply = await fetch(`${server.baseUrl}/v1/feeds/${knoc}.${format}`, { headers: { authorization: basicAuth } })
        if (reply.status !== 200) throw new Error(`${knoc}.${format}: ${reply.status}`)
        await reply.arrayBuffer()
      }
    }
    await sleep(2000)
    const memory = server.memory()
    afterFeeds.push(memory.rssMiB)
    peaks.push(memory.peakRssMiB)
    log(`memory run ${run + 1}: ${empty.at(-1)} MiB without grants, ${idle.at(-1)} MiB after start, ${memory.rssMiB} MiB after feeds, peak ${memory.peakRssMiB} MiB`)
  } finally {
    await server.stop()
  }
}

report({
  bench: 'memory',
  machine: machine(),
  runs,
  results: [
    {
      figure: 'memory, 100,000 active grants over 100 knocs',
      rssWithoutGrantsMiB: round(median(empty), 1),
      rssAfterStartMiB: round(median(idle), 1),
      rssAfterFeedsMiB: round(median(afterFeeds), 1),
      peakRssMiB: round(median(peaks), 1),
      aim: '< 150 MB',
      met: (median(afterFeeds) * 2 ** 20) / 1e6 < 150 && (median(peaks) * 2 ** 20) / 1e6 < 150,
    },
  ],
})
