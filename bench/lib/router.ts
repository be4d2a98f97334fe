// The RouterOS side of the active-mode benchmarks: the test emulator with a
// hook that timestamps each request as the router starts serving it, and the
// config of an active knoc that points at the emulator.
import { setTimeout as sleep } from 'node:timers/promises'
import { SERVICE_USER, startRouterEmulator, type EmulatorRequestRecord, type RouterEmulator } from '../../test/fixtures/routeros/emulator.js'
import { adminToken } from './common.js'

export interface TimedRequest extends EmulatorRequestRecord {
  // performance.now() when the emulator took the request off its queue.
  at: number
}

export interface TimedEmulator {
  emulator: RouterEmulator
  timed: TimedRequest[]
  close(): Promise<void>
}

// Starts the emulator (HTTPS, like a router's www-ssl service) and records
// when each request reaches it. RouterOS serves one request at a time, and
// so does the emulator, so the time includes waiting behind earlier ones.
export async function startTimedEmulator(): Promise<TimedEmulator> {
  const emulator = await startRouterEmulator()
  const timed: TimedRequest[] = []
  const requests = emulator.requests
  const push = requests.push.bind(requests)
  requests.push = (...records: EmulatorRequestRecord[]) => {
    const at = performance.now()
    for (const record of records) timed.push({ ...record, at })
    return push(...records)
  }
  return { emulator, timed, close: () => emulator.close() }
}

export function activeKnoc(name: string, emulator: RouterEmulator, list: string) {
  return {
    name,
    mode: 'active',
    addressList: list,
    ttl: { default: '1h', max: '1d' },
    routers: [{ name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint }],
  }
}

interface RouterSyncStatus {
  connected?: boolean
  lastReconcileAt?: string
  lastReconcile?: { added: number; updated: number; removed: number; unchanged: number }
}

export async function routerStatus(baseUrl: string, knoc: string): Promise<RouterSyncStatus> {
  const reply = await fetch(`${baseUrl}/v1/knocs/${knoc}`, { headers: { authorization: `Bearer ${adminToken}` } })
  const body = (await reply.json()) as { routers?: Array<{ sync?: RouterSyncStatus }> }
  return body.routers?.[0]?.sync ?? {}
}

// Waits for the reconcile knocklist runs at start.
export async function waitForStartReconcile(baseUrl: string, knoc: string, timeoutMs = 120_000): Promise<RouterSyncStatus> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const status = await routerStatus(baseUrl, knoc)
    if (status.lastReconcileAt !== undefined) return status
    if (Date.now() > until) throw new Error(`the start reconcile of ${knoc} did not finish within ${timeoutMs} ms`)
    await sleep(50)
  }
}
