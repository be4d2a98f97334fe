// Grant API: grants per second that POST /v1/knocs/{knoc}/grants sustains
// with each 201 durable (SQLite in WAL mode with synchronous=FULL: the commit
// returns after its WAL frame is fsynced). autocannon drives the load from
// core 1; every request grants a different address.
// Plain JavaScript because autocannon ships no type declarations.
import Database from 'better-sqlite3'
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import autocannon from 'autocannon'
import { adminToken, benchAddresses, log, machine, median, report, round, runCount, startKnocklist } from './lib/common.ts'

const connections = 16
const durationSeconds = 8
const runs = runCount()
const addresses = benchAddresses(600_000)
let next = 0

async function load(baseUrl) {
  return autocannon({
    url: `${baseUrl}/v1/knocs/api/grants`,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        setupRequest: (request) => {
          const address = addresses[next++ % addresses.length]
          return { ...request, body: JSON.stringify({ address, ttl: '1h', user: 'bench' }) }
        },
      },
    ],
  })
}

// The disk's durable-write ceiling: 4 KiB appends each followed by
// fdatasync, in the data folder's file system. One grant is one such commit.
function fsyncsPerSecond(directory) {
  const file = path.join(directory, 'fsync-probe')
  const fd = openSync(file, 'w')
  const block = Buffer.alloc(4096, 1)
  const count = 200
  const started = performance.now()
  for (let index = 0; index < count; index++) {
    writeSync(fd, block)
    fdatasyncSync(fd)
  }
  const seconds = (performance.now() - started) / 1000
  closeSync(fd)
  rmSync(file)
  return count / seconds
}

const server = await startKnocklist({ knocs: [{ name: 'api', mode: 'passive', ttl: { default: '1h', max: '1d' } }] })
const fsyncRates = []
const grantsPerSecond = []
const p99 = []
let acknowledged = 0
let stored = 0
try {
  // Warm-up, not counted.
  await autocannon({ url: `${server.baseUrl}/healthz`, connections, duration: 1 })
  for (let run = 0; run < runs; run++) {
    fsyncRates.push(fsyncsPerSecond(server.dataDir))
    const result = await load(server.baseUrl)
    const created = result.statusCodeStats['201']?.count ?? 0
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
      throw new Error(`grant run ${run + 1}: ${result.non2xx} non-2xx replies, ${result.errors} errors, ${result.timeouts} timeouts`)
    }
    acknowledged += created
    grantsPerSecond.push(created / result.duration)
    p99.push(result.latency.p99)
    log(`grant run ${run + 1}: ${round(created / result.duration, 0)} grants/s, p99 ${result.latency.p99} ms`)
  }
  // Every acknowledged grant must be in the store (read through WAL while
  // the server runs).
  const database = new Database(path.join(server.dataDir, 'knocklist.db'), { readonly: true })
  stored = database.prepare("SELECT count(*) AS count FROM grants WHERE knoc = 'api'").get().count
  database.close()
  if (stored < acknowledged) throw new Error(`${acknowledged} grants acknowledged but only ${stored} stored`)
} finally {
  await server.stop().catch(() => undefined)
}

report({
  bench: 'grant-api',
  machine: machine(),
  runs,
  results: [
    {
      figure: 'grant API',
      grantsPerSecond: round(median(grantsPerSecond), 0),
      perRun: grantsPerSecond.map((value) => round(value, 0)),
      p99Ms: median(p99),
      connections,
      durationSeconds,
      fsyncsPerSecond: round(median(fsyncRates), 0),
      acknowledged,
      stored,
      durability: 'SQLite WAL, synchronous=FULL: each 201 follows an fsynced commit',
      aim: '>= 1,000/s',
      met: median(grantsPerSecond) >= 1000,
    },
  ],
})
