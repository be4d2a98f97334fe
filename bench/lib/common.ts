// Shared pieces of the benchmarks: the machine description, statistics,
// tool installation, and starting knocklist, nginx and wrk as separate
// processes pinned to their own core. Every server listens on 127.0.0.1 only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const cliPath = path.join(repoRoot, 'dist/cli/main.js')

// With two cores, the server under test gets core 0 and the load generator
// core 1, so they do not compete for one core.
export const serverCpu = '0'
export const loadCpu = '1'

export const adminToken = 'bench-admin-token-0123456789abcdef'
export const feedPassword = 'bench-feed-password'
export const feedUsername = 'feed'
export const basicAuth = `Basic ${Buffer.from(`${feedUsername}:${feedPassword}`).toString('base64')}`

export interface Machine {
  cores: number
  memoryGiB: number
  cpuModel: string
  node: string
  date: string
}

export function machine(): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  return {
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: model.trim(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

// Nearest-rank percentile, p from 0 to 100.
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

// How many times each measurement is repeated; the figure is the median.
export function runCount(): number {
  const runs = Number(process.env.BENCH_RUNS ?? '3')
  return Number.isInteger(runs) && runs >= 1 && runs <= 9 ? runs : 3
}

// Prints the figure's result as one JSON line that bench/run.mjs collects.
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`)
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

// Installs the Debian packages that provide missing tools (nginx, wrk), so a
// fresh machine can run the benchmarks. Needs root and apt-get.
export function ensureTools(tools: Record<string, string>): void {
  const missing = Object.entries(tools).filter(([command]) => !commandExists(command) && !existsSync(`/usr/sbin/${command}`))
  if (missing.length === 0) return
  const packages = missing.map(([, pkg]) => pkg)
  if (!commandExists('apt-get') || process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.map(([command]) => command).join(', ')}; install the Debian packages ${packages.join(' ')} (needs root and apt-get)`)
  }
  log(`installing ${packages.join(' ')} with apt-get`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...packages]]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env })
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with status ${result.status}`)
  }
}

export function requireBuild(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing; run "npm run build" first`)
}

// A free TCP port on 127.0.0.1, for servers (nginx) that cannot report the
// port they bound.
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('could not read the bound port')
  return address.port
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `knocklist-bench-${prefix}-`))
}

// Runs a command pinned to one core when taskset is available.
function pinned(cpu: string, command: string, args: string[]): [string, string[]] {
  return commandExists('taskset') ? ['taskset', ['-c', cpu, command, ...args]] : [command, args]
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return Promise.race([
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
    sleep(timeoutMs).then(() => false),
  ])
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  if (!(await waitForExit(child, 15_000))) {
    child.kill('SIGKILL')
    await waitForExit(child, 5_000)
  }
}

// Generates `count` distinct canonical addresses: IPv4 hosts in 10.0.0.0/8,
// with every tenth one an IPv6 host in 2001:db8::/32 (documentation range),
// so feeds and router reads cover both families.
export function benchAddresses(count: number, offset = 0): string[] {
  const addresses: string[] = []
  for (let index = offset; index < offset + count; index++) {
    if (index % 10 === 9) {
      // Non-zero groups around one run of zeros: already in RFC 5952 form.
      addresses.push(`2001:db8:${((index >>> 15) + 1).toString(16)}:1::${((index & 0x7fff) + 1).toString(16)}`)
    } else {
      addresses.push(`10.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`)
    }
  }
  return addresses
}

export interface KnocklistProcess {
  baseUrl: string
  pid: number
  dataDir: string
  logFile: string
  // Resident set size and its peak, in MiB, from /proc.
  memory(): { rssMiB: number; peakRssMiB: number }
  stop(): Promise<void>
}

export interface KnocklistOptions {
  knocs: Array<Record<string, unknown>>
  // Runs before the server starts, for example to seed the store.
  prepare?: (dataDir: string) => void | Promise<void>
  reconcileInterval?: string
  nodeArgs?: string[]
  env?: Record<string, string>
}

// Starts `knocklist serve` from dist/ as its own process on core 0, with a
// temporary config (port 0, admin token, feed passwords) and data folder.
// Its log lines go to a file, as they would to a journal.
export async function startKnocklist(options: KnocklistOptions): Promise<KnocklistProcess> {
  requireBuild()
  const directory = temporaryDirectory('server')
  const dataDir = path.join(directory, 'data')
  const logFile = path.join(directory, 'knocklist.log')
  const configFile = path.join(directory, 'knocklist.yaml')
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    dataDir,
    adminTokens: [{ name: 'bench', token: adminToken }],
    reconcileInterval: options.reconcileInterval ?? '1h',
    knocs: options.knocs,
  }
  // JSON is valid YAML, so the config needs no YAML writer.
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 })
  await options.prepare?.(dataDir)

  const output = (await import('node:fs')).openSync(logFile, 'a')
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server to DIR when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROF)] : []
  // BENCH_NODE_ARGS adds Node.js options to the server, to try V8 settings.
  const extraArgs = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []
  const [command, args] = pinned(serverCpu, process.execPath, [...profile, ...extraArgs, ...(options.nodeArgs ?? []), cliPath, 'serve', '--config', configFile])
  const child = spawn(command, args, { cwd: directory, stdio: ['ignore', output, output], env: { ...process.env, ...options.env } })
  const pid = child.pid
  if (pid === undefined) throw new Error('knocklist did not start')

  let baseUrl: string | undefined
  const until = Date.now() + 60_000
  while (baseUrl === undefined) {
    if (child.exitCode !== null) throw new Error(`knocklist exited with ${child.exitCode}; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
    if (Date.now() > until) {
      await stopChild(child)
      throw new Error(`knocklist did not start within 60 s; see ${logFile}`)
    }
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.includes('"knocklist started"')) continue
      baseUrl = (JSON.parse(line) as { address: string }).address
    }
    if (baseUrl === undefined) await sleep(50)
  }

  // With taskset in front, the server is a child of taskset's exec, so the
  // spawned pid is node's own.
  const memory = () => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024
    return { rssMiB: round(field('VmRSS'), 1), peakRssMiB: round(field('VmHWM'), 1) }
  }
  return {
    baseUrl,
    pid,
    dataDir,
    logFile,
    memory,
    async stop() {
      await stopChild(child)
      if (process.env.BENCH_KEEP === undefined) rmSync(directory, { recursive: true, force: true })
    },
  }
}

export interface WrkResult {
  requestsPerSecond: number
  latencyMs: { p50: number; p90: number; p99: number }
  requests: number
  errors: number
}

function parseWrkDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!match) return Number.NaN
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm']
  return Number(match[1]) * factor
}

export interface LoadSettings {
  connections: number
  durationSeconds: number
}

// The load both servers get in the feed figures: the same connection count
// and duration for knocklist and nginx.
export const feedLoad: LoadSettings = { connections: 32, durationSeconds: 5 }

// Runs wrk (one thread, on core 1) against a loopback URL and parses its
// summary. Non-2xx/3xx replies and socket errors count as errors.
export async function runWrk(url: string, headers: Record<string, string>, load: LoadSettings = feedLoad): Promise<WrkResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`refusing to load ${url}: benchmarks target 127.0.0.1 only`)
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  const [command, args] = pinned(loadCpu, 'wrk', [
    '-t1',
    `-c${load.connections}`,
    `-d${load.durationSeconds}s`,
    '--timeout',
    '10s',
    '--latency',
    ...headerArgs,
    url,
  ])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (status) => resolve(status)))
  if (code !== 0) throw new Error(`wrk failed (${code}):\n${output}`)

  const latency = (p: string) => parseWrkDuration(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output)?.[1] ?? '')
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? Number.NaN)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0)
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
    latencyMs: { p50: latency('50'), p90: latency('90'), p99: latency('99') },
    requests,
    errors,
  }
}

export interface NginxProcess {
  baseUrl: string
  stop(): Promise<void>
}

// Starts nginx with one worker on core 0, serving `files` (name to bytes)
// as static files from a temporary root, listening on 127.0.0.1 only. The
// access log is on, as knocklist logs every request too.
export async function startNginx(files: Record<string, Buffer>): Promise<NginxProcess> {
  const directory = temporaryDirectory('nginx')
  const root = path.join(directory, 'root')
  ;(await import('node:fs')).mkdirSync(root)
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(root, name), body)
  // The worker runs as an unprivileged user when nginx starts as root.
  for (const folder of [directory, root]) chmodSync(folder, 0o755)
  for (const name of Object.keys(files)) chmodSync(path.join(root, name), 0o644)

  const port = await freePort()
  const config = `
worker_processes 1;
daemon off;
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${directory}/access.log;
  client_body_temp_path ${directory}/client_body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  default_type text/plain;
  charset utf-8;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { add_header Cache-Control no-cache; }
  }
}
`
  const configFile = path.join(directory, 'nginx.conf')
  writeFileSync(configFile, config)
  const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'
  const [command, args] = pinned(serverCpu, nginx, ['-p', directory, '-e', `${directory}/error.log`, '-c', configFile])
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] })

  const baseUrl = `http://127.0.0.1:${port}`
  const until = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${directory}/error.log`)
    try {
      await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(1000) })
      break
    } catch {
      if (Date.now() > until) {
        await stopChild(child)
        throw new Error('nginx did not start within 10 s')
      }
      await sleep(50)
    }
  }
  return {
    baseUrl,
    async stop() {
      // SIGQUIT is nginx's graceful stop; SIGTERM is its fast stop.
      await stopChild(child)
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

export async function postGrant(baseUrl: string, knoc: string, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/v1/knocs/${knoc}/grants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

export async function getFeed(baseUrl: string, knoc: string, headers: Record<string, string> = {}): Promise<{ status: number; etag: string | null; body: Buffer }> {
  const response = await fetch(`${baseUrl}/v1/feeds/${knoc}.txt`, { headers: { authorization: basicAuth, ...headers }, signal: AbortSignal.timeout(30_000) })
  return { status: response.status, etag: response.headers.get('etag'), body: Buffer.from(await response.arrayBuffer()) }
}

export interface ReferenceServerProcess {
  baseUrl: string
  stop(): Promise<void>
}

// Starts bench/lib/node-reference.mjs on the server core, serving `files`
// behind the bench's feed credentials, as plain node:http or as one Fastify
// route.
export async function startNodeReference(files: Record<string, Buffer>, kind: 'node' | 'fastify' = 'node'): Promise<ReferenceServerProcess> {
  const directory = temporaryDirectory('node-reference')
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(directory, name), body)
  const script = fileURLToPath(new URL('./node-reference.mjs', import.meta.url))
  const [command, args] = pinned(serverCpu, process.execPath, [script, ...(kind === 'fastify' ? ['--fastify'] : []), directory, basicAuth])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })

  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Node.js reference server did not start within 10 s')), 10_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (!output.includes('\n')) return
      clearTimeout(timer)
      resolve(Number(output.trim()))
    })
    child.once('exit', (code) => reject(new Error(`the Node.js reference server exited with ${code}`)))
  })
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child)
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
