// Prints the functions with the most self time in a V8 .cpuprofile (from
// `node --cpu-prof`, or BENCH_CPU_PROF=DIR with any bench here).
// Usage: node bench/profile-top.mjs FILE.cpuprofile [COUNT] [--by-file]
// --by-file adds up self time per script (a package's or dist's file).
import { readFileSync } from 'node:fs'

const byFile = process.argv.includes('--by-file')
const [file, countText = '25'] = process.argv.slice(2).filter((arg) => arg !== '--by-file')
if (file === undefined) {
  process.stderr.write('usage: node bench/profile-top.mjs FILE.cpuprofile [COUNT]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
// Sample i lasted timeDeltas[i + 1]; the last sample's length is unknown and
// counted as the mean.
const selfMicros = new Map()
const deltas = profile.timeDeltas
const mean = deltas.reduce((sum, value) => sum + value, 0) / Math.max(1, deltas.length)
profile.samples.forEach((id, index) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (deltas[index + 1] ?? mean))
})
const byFunction = new Map()
let total = 0
for (const [id, micros] of selfMicros) {
  const { callFrame } = nodes.get(id)
  const where = callFrame.url ? `${callFrame.url.replace(/^file:\/\/.*\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}` : ''
  const script = callFrame.url ? callFrame.url.replace(/^file:\/\/.*\/(node_modules|dist)\//, '$1/') : callFrame.functionName
  const key = byFile ? script : `${callFrame.functionName || '(anonymous)'} ${where}`.trim()
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros)
  total += micros
}
const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(countText))
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled\n`)
for (const [key, micros] of rows) {
  process.stdout.write(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}\n`)
}
