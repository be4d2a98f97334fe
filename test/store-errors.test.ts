import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { databaseFileName } from '../src/store/database.js'
import { buildTestApp, feedPassword, temporaryDirectory } from './helpers/app.js'
import { ManualClock } from './helpers/clock.js'
import { startServerProcess } from './helpers/process.js'

const token = 'store-test-admin-token-0123456789'

// Tests run as root, where chmod does not stop writes. The in-process test
// makes the store's own connection read-only with PRAGMA query_only, which
// SQLite enforces for root too. The process test fills a small tmpfs, which
// root cannot write past either.

t.test('read-only store gives 503 and loses nothing', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const { app, auth } = testApp
  const post = (address: string, ttl = '1h') => app.inject({ method: 'POST', url: '/v1/knocs/demo/grants', headers: auth, payload: { address, ttl } })
  const activeAddresses = async () => ((await app.inject({ method: 'GET', url: '/v1/knocs/demo/grants', headers: auth }).then((reply) => reply.json())) as { grants: Array<{ address: string }> }).grants.map((grant) => grant.address).sort()
  const feed = async () => (await app.inject({ method: 'GET', url: '/v1/feeds/demo.txt', headers: testApp.feedAuth(feedPassword) })).body

  const stored = await post('192.0.2.1')
  t.equal(stored.statusCode, 201, 'a grant before the failure is acknowledged')
  const shortLived = await post('192.0.2.2', '60s')
  t.equal(shortLived.statusCode, 201, 'a short grant before the failure is acknowledged')
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready before the failure')

  testApp.runtime.database.pragma('query_only = ON')

  const rejected = await post('192.0.2.3')
  t.equal(rejected.statusCode, 503, 'a grant while the store is read-only is 503')
  t.equal(rejected.json().code, 'KNL_STORE_UNAVAILABLE', 'code KNL_STORE_UNAVAILABLE')
  t.match(rejected.json().message, 'nothing was stored', 'the message says nothing was stored')
  const revoke = await app.inject({ method: 'DELETE', url: `/v1/grants/${stored.json().id}`, headers: auth })
  t.equal(revoke.statusCode, 503, 'a revoke while the store is read-only is 503')
  const put = await app.inject({ method: 'PUT', url: '/v1/knocs/lab', headers: auth, payload: { mode: 'passive' } })
  t.equal(put.statusCode, 503, 'a knoc change while the store is read-only is 503')
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503, '/readyz reports not ready')
  t.equal(ready.json().code, 'KNL_NOT_READY', 'with code KNL_NOT_READY')

  t.same(await activeAddresses(), ['192.0.2.1', '192.0.2.2'], 'the revoke did not end the grant and the rejected grant is absent')
  t.equal(await feed(), '192.0.2.1\n192.0.2.2\n', 'the feed is unchanged')
  t.equal((await app.inject({ method: 'GET', url: '/v1/knocs/lab', headers: auth })).statusCode, 404, 'the rejected knoc does not exist')

  // The short grant falls due while its end cannot be stored; it is retried.
  clock.advance(61_000)
  t.same(await activeAddresses(), ['192.0.2.1', '192.0.2.2'], 'an expiry that cannot be stored is kept for a retry')

  testApp.runtime.database.pragma('query_only = OFF')
  clock.advance(1_000)
  t.same(await activeAddresses(), ['192.0.2.1'], 'the retry ends the expired grant once the store is writable')
  t.equal((await post('192.0.2.4')).statusCode, 201, 'grants work again')
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, '/readyz reports ready again')
})

t.test('readyz ignores another writer', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const ready = async () => (await testApp.app.inject({ method: 'GET', url: '/readyz' })).statusCode
  t.equal(await ready(), 200, 'ready at start')

  // Another process, such as knocklist token create, holds the write lock.
  const other = new Database(path.join(testApp.dataDir, databaseFileName))
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  clock.advance(5_000)
  t.equal(await ready(), 200, 'a busy store is not reported as failed')
  other.exec('ROLLBACK')
})

t.test('readyz notices an idle read-only store', async (t) => {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, {}, { clock })
  const ready = async () => (await testApp.app.inject({ method: 'GET', url: '/readyz' })).statusCode
  t.equal(await ready(), 200, 'ready at start')

  // No grant arrives, so only the probe can find the failure.
  testApp.runtime.database.pragma('query_only = ON')
  t.equal(await ready(), 200, 'within the probe interval the last result stands')
  clock.advance(5_000)
  t.equal(await ready(), 503, 'the next probe finds the store read-only')

  testApp.runtime.database.pragma('query_only = OFF')
  t.equal(await ready(), 503, 'not ready until a write succeeds')
  clock.advance(5_000)
  t.equal(await ready(), 200, 'the next probe finds the store writable')
})

// Mounts a tmpfs of the given size; returns false where mount is not
// permitted (not root, or no CAP_SYS_ADMIN in the container).
function mountTmpfs(t: Test, directory: string, size: string): boolean {
  mkdirSync(directory, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', directory], { stdio: 'ignore' })
  } catch {
    return false
  }
  t.teardown(() => {
    execFileSync('umount', ['-l', directory], { stdio: 'ignore' })
  })
  return true
}

// Writes zeros into a file until the file system is full.
function fillFileSystem(file: string): void {
  const chunk = Buffer.alloc(64 * 1024)
  const fd = openSync(file, 'w')
  try {
    for (let written = 0; written < 1024; written++) writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
}

t.test('full disk gives 503 and keeps acknowledged grants', async (t) => {
  const cwd = temporaryDirectory(t)
  const dataDir = path.join(cwd, 'data')
  if (!mountTmpfs(t, dataDir, '2m')) {
    t.comment('mount -t tmpfs is not permitted here, so the full-disk case did not run')
    t.pass('skipped: no tmpfs')
    return
  }
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(configFile, `server: { port: 0 }\nadminTokens: [{ name: ops, token: ${token} }]\nknocs: [{ name: demo }]\n`)
  const server = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const grant = async (address: string) => {
    const response = await fetch(`${server.url}/v1/knocs/demo/grants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address, ttl: '1h' }),
    })
    return { status: response.status, body: (await response.json()) as { code?: string } }
  }

  const acknowledged: string[] = []
  for (let index = 1; index <= 10; index++) {
    if ((await grant(`192.0.2.${index}`)).status === 201) acknowledged.push(`192.0.2.${index}`)
  }
  t.equal(acknowledged.length, 10, 'ten grants acknowledged before the disk fills')

  const filler = path.join(dataDir, 'filler')
  fillFileSystem(filler)
  // A write can still fit in the last partly used page, so try a few.
  let failed: { status: number; body: { code?: string } } | undefined
  const rejected: string[] = []
  for (let index = 100; index < 110 && failed === undefined; index++) {
    const reply = await grant(`192.0.2.${index}`)
    if (reply.status === 201) acknowledged.push(`192.0.2.${index}`)
    else {
      failed = reply
      rejected.push(`192.0.2.${index}`)
    }
  }
  t.equal(failed?.status, 503, 'a grant on a full disk is 503')
  t.equal(failed?.body.code, 'KNL_STORE_UNAVAILABLE', 'code KNL_STORE_UNAVAILABLE')
  const ready = await fetch(`${server.url}/readyz`)
  t.equal(ready.status, 503, '/readyz reports not ready')
  await ready.arrayBuffer()

  rmSync(filler)
  const after = await grant('192.0.2.200')
  t.equal(after.status, 201, 'grants work again once space is free')
  acknowledged.push('192.0.2.200')
  t.equal((await fetch(`${server.url}/readyz`)).status, 200, '/readyz reports ready again')

  server.child.kill('SIGKILL')
  await server.exited
  const restarted = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const listed = await fetch(`${restarted.url}/v1/knocs/demo/grants`, { headers: { authorization: `Bearer ${token}` } })
  const stored = ((await listed.json()) as { grants: Array<{ address: string }> }).grants.map((entry) => entry.address)
  t.same(acknowledged.filter((address) => !stored.includes(address)), [], 'every acknowledged grant survived the full disk and a kill -9')
  t.same(rejected.filter((address) => stored.includes(address)), [], 'the rejected grant was not stored')
  restarted.child.kill('SIGTERM')
  await restarted.exited
})
