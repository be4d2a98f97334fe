// Runs the benchmarks, each as its own process pinned to core 1 (the server
// under test gets core 0), and prints one table of the figures.
//
//   npm run build && npm run bench                 all figures
//   npm run bench -- feed-throughput memory        some of them
//   BENCH_RUNS=5 npm run bench                     five runs per figure (default 3)
//   BENCH_CPU_PROF=/tmp/prof npm run bench -- grant-api   CPU profile of the server
//
// The .ts benches use test fixtures (RouterOS emulator and interpreter), so
// every bench runs through tap's TypeScript loader, type checks off (npm run
// typecheck covers bench/). Results also go to a JSON file under the
// system's temporary folder.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.dirname(benchDir)
const loader = path.join(repoRoot, 'node_modules/@tapjs/typescript/dist/esm/import.mjs')

const benches = ['feed-throughput', 'grant-api', 'push-latency', 'reconcile', 'importer', 'memory', 'expiry']
const chosen = process.argv.slice(2)
const unknown = chosen.filter((name) => !benches.includes(name))
if (unknown.length > 0) {
  process.stderr.write(`unknown bench ${unknown.join(', ')}; choose from ${benches.join(', ')}\n`)
  process.exit(2)
}
if (!existsSync(path.join(repoRoot, 'dist/cli/main.js'))) {
  process.stderr.write('dist/cli/main.js is missing; run "npm run build" first\n')
  process.exit(2)
}

const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0

function runBench(name) {
  const file = ['grant-api'].includes(name) ? `${name}.mjs` : `${name}.ts`
  const args = ['--import', loader, path.join(benchDir, file)]
  const [command, commandArgs] = hasTaskset ? ['taskset', ['-c', '1', process.execPath, ...args]] : [process.execPath, args]
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
      process.stdout.write(chunk)
    })
    child.on('exit', (code) => {
      const line = output.split('\n').find((text) => text.startsWith('BENCH_RESULT '))
      resolve(line === undefined ? { bench: name, failed: `exited with ${code}` } : JSON.parse(line.slice('BENCH_RESULT '.length)))
    })
  })
}

// The main numbers of a result row, without the bookkeeping fields.
function summary(result) {
  const skip = new Set(['figure', 'aim', 'met', 'readPaths'])
  return Object.entries(result)
    .filter(([key]) => !skip.has(key))
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `[${value.join(',')}]` : value}`)
    .join(' ')
}

const outcomes = []
for (const name of chosen.length > 0 ? chosen : benches) {
  process.stderr.write(`\n== ${name}\n`)
  outcomes.push(await runBench(name))
}

const file = path.join(os.tmpdir(), `knocklist-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(file, `${JSON.stringify(outcomes, null, 2)}\n`)

process.stdout.write('\n| figure | result | aim | met |\n|---|---|---|---|\n')
let failed = false
for (const outcome of outcomes) {
  if (outcome.failed) {
    failed = true
    process.stdout.write(`| ${outcome.bench} | failed: ${outcome.failed} | | |\n`)
    continue
  }
  for (const result of outcome.results) {
    let met = ''
    if (result.met === true) met = 'yes'
    else if (result.met === false) met = 'no'
    process.stdout.write(`| ${result.figure} | ${summary(result)} | ${result.aim ?? ''} | ${met} |\n`)
  }
}
const first = outcomes.find((outcome) => outcome.machine)?.machine
if (first) process.stdout.write(`\n${first.cores} cores, ${first.memoryGiB} GiB, ${first.cpuModel}, Node ${first.node}, ${first.date}\n`)
process.stdout.write(`results: ${file}\n`)
process.exitCode = failed ? 1 : 0
