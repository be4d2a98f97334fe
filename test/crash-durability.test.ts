import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { temporaryDirectory } from './helpers/app.js'
import { startServerProcess } from './helpers/process.js'

const token = 'crash-test-admin-token-0123456789'

async function grant(url: string, address: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/v1/knocs/demo/grants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address, ttl: '1h' }),
    })
    if (response.status !== 201) return undefined
    return ((await response.json()) as { id: string }).id
  } catch {
    // The process was killed mid-request: not acknowledged.
    return undefined
  }
}

t.test('acknowledged grants survive kill -9', async (t) => {
  const cwd = temporaryDirectory(t)
  const configFile = path.join(cwd, 'knocklist.yaml')
  writeFileSync(configFile, `server: { port: 0 }\nadminTokens: [{ name: ops, token: ${token} }]\nknocs: [{ name: demo }]\n`)

  const server = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const acknowledged: string[] = []
  let next = 0
  let killed = false
  // Eight clients send grants until the process dies; it is killed once 150
  // grants are acknowledged, so requests are in flight at the kill.
  const client = async () => {
    while (!killed && next < 2000) {
      const index = next++
      const id = await grant(server.url, `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`)
      if (id !== undefined) acknowledged.push(id)
      if (acknowledged.length >= 150 && !killed) {
        killed = true
        server.child.kill('SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, client))
  t.same((await server.exited).signal, 'SIGKILL', 'the server was killed with SIGKILL')
  t.ok(acknowledged.length >= 150, `${acknowledged.length} grants were acknowledged before the kill`)

  const restarted = await startServerProcess(t, { cwd, args: ['--config', configFile] })
  const response = await fetch(`${restarted.url}/v1/knocs/demo/grants`, { headers: { authorization: `Bearer ${token}` } })
  const stored = new Set(((await response.json()) as { grants: Array<{ id: string }> }).grants.map((entry) => entry.id))
  const lost = acknowledged.filter((id) => !stored.has(id))
  t.same(lost, [], 'every acknowledged grant is stored after the restart')
  restarted.child.kill('SIGTERM')
  await restarted.exited
})
