import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { SERVICE_USER, startRouterEmulator } from './fixtures/routeros/emulator.js'
import { temporaryDirectory, waitFor } from './helpers/app.js'
import { startServerProcess } from './helpers/process.js'

const token = 'burst-test-admin-token-0123456789'
const feedPassword = 'burst-test-feed-password'
const list = 'knocklist-office'
const totalGrants = 1000
const clients = 50

interface Acknowledged {
  id: string
  address: string
}

async function grant(url: string, address: string): Promise<Acknowledged | undefined> {
  try {
    const response = await fetch(`${url}/v1/knocs/office/grants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address, ttl: '1h' }),
    })
    if (response.status !== 201) return undefined
    return (await response.json()) as Acknowledged
  } catch {
    // The process died with the request in flight: not acknowledged.
    return undefined
  }
}

t.test('kill -9 during a burst of grants', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const cwd = temporaryDirectory(t)
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(
    configFile,
    [
      'server: { port: 0 }',
      `adminTokens: [{ name: ops, token: ${token} }]`,
      'knocs:',
      `  - name: office`,
      `    mode: active`,
      `    addressList: ${list}`,
      `    feed: { password: ${feedPassword} }`,
      `    routers: [{ name: edge1, url: "${emulator.url}", username: ${SERVICE_USER.name}, password: ${SERVICE_USER.password}, fingerprint: "${emulator.fingerprint}" }]`,
      '',
    ].join('\n'),
  )

  const server = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const acknowledged: Acknowledged[] = []
  let next = 0
  let killed = false
  // Fifty clients share 1,000 grants; the process is killed once 400 are
  // acknowledged, with up to fifty requests in flight.
  const client = async () => {
    while (next < totalGrants) {
      const index = next++
      const reply = await grant(server.url, `10.20.${index >> 8}.${index & 255}`)
      if (reply !== undefined) acknowledged.push(reply)
      if (acknowledged.length >= 400 && !killed) {
        killed = true
        server.child.kill('SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, client))
  t.equal((await server.exited).signal, 'SIGKILL', 'the server was killed with SIGKILL')
  t.ok(acknowledged.length >= 400 && acknowledged.length < totalGrants, `${acknowledged.length} of ${totalGrants} grants were acknowledged before the kill`)

  const restarted = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const listed = await fetch(`${restarted.url}/v1/knocs/office/grants`, { headers: { authorization: `Bearer ${token}` } })
  const stored = ((await listed.json()) as { grants: Acknowledged[] }).grants
  const storedIds = new Set(stored.map((entry) => entry.id))
  t.same(acknowledged.filter((entry) => !storedIds.has(entry.id)), [], 'every acknowledged grant is stored after the restart')

  const feed = await fetch(`${restarted.url}/v1/feeds/office.txt`, { headers: { authorization: `Basic ${Buffer.from(`feed:${feedPassword}`).toString('base64')}` } })
  const feedAddresses = new Set((await feed.text()).split('\n').filter((line) => line !== ''))
  t.same(acknowledged.filter((entry) => !feedAddresses.has(entry.address)), [], 'the feed lists every acknowledged address')
  t.equal(feedAddresses.size, new Set(stored.map((entry) => entry.address)).size, 'the feed lists exactly the stored grants')

  const routerAddresses = () => emulator.tables.ipv4.all().filter((entry) => entry.list === list).map((entry) => entry.address)
  await waitFor(() => routerAddresses().length === feedAddresses.size, 10_000, 'the router to converge')
  t.same([...routerAddresses()].sort(), [...feedAddresses].sort(), 'the router list equals the feed')
  t.equal(new Set(routerAddresses()).size, routerAddresses().length, 'no duplicate entries on the router')

  restarted.child.kill('SIGTERM')
  t.equal((await restarted.exited).code, 0, 'the restarted server stops cleanly')
})
