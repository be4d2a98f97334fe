// The RouterOS side of the active-mode benchmarks: the test emulator with a
// hook that timestamps each request as the router starts serving it, an
// address-list table indexed for 100,000 entries, and the config of an
// active knoc that points at the emulator.
import { setTimeout as sleep } from 'node:timers/promises'
import { AddressListTable, normalizeAddress, RouterOsError, type AddressListChanges, type AddressListEntry, type NewAddressListEntry } from '../../test/fixtures/routeros/address-list.js'
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

interface StoredEntry {
  number: number
  list: string
  address: string
  comment: string | undefined
  disabled: boolean
  dynamic: boolean
  creationTime: number
  expiresAt: number | undefined
}

// An address-list table with the emulator's behaviour for plain addresses
// (normalised addresses, unique list + address, `*` hex ids, timeouts that
// count down) but O(1) lookups. The fixture's own table scans every entry
// on each request, which at 100,000 entries would measure the fixture, not
// knocklist. DNS-name entries are not needed here and are rejected.
export class IndexedAddressListTable extends AddressListTable {
  readonly #entries = new Map<number, StoredEntry>()
  readonly #byKey = new Map<string, number>()
  #nextNumber = 1

  override add(fields: NewAddressListEntry): AddressListEntry {
    if (fields.list === '') throw new RouterOsError('failure: list name must not be empty')
    const address = this.#normalise(fields.address)
    const key = `${fields.list}\u0000${address}`
    const existing = this.#byKey.get(key)
    if (existing !== undefined && this.#live(this.#entries.get(existing))) throw new RouterOsError('failure: already have such entry')
    const now = Date.now()
    const stored: StoredEntry = {
      number: this.#nextNumber++,
      list: fields.list,
      address,
      comment: fields.comment || undefined,
      disabled: fields.disabled ?? false,
      dynamic: fields.dynamic ?? false,
      creationTime: now,
      expiresAt: fields.timeout ? now + fields.timeout * 1000 : undefined,
    }
    this.#entries.set(stored.number, stored)
    this.#byKey.set(key, stored.number)
    return this.#view(stored)
  }

  override get(id: string): AddressListEntry | undefined {
    const stored = this.#lookup(id)
    return stored && this.#view(stored)
  }

  override find(predicate: (entry: AddressListEntry) => boolean): AddressListEntry[] {
    return this.all().filter(predicate)
  }

  override set(id: string, changes: AddressListChanges): AddressListEntry {
    const stored = this.#lookup(id)
    if (stored === undefined) throw new RouterOsError('no such item')
    if ((changes.list !== undefined && changes.list !== stored.list) || changes.address !== undefined) {
      throw new RouterOsError('bench table: moving an entry to another list or address is not supported')
    }
    if (changes.timeout !== undefined) stored.expiresAt = changes.timeout ? Date.now() + changes.timeout * 1000 : undefined
    if (changes.comment !== undefined) stored.comment = changes.comment || undefined
    if (changes.disabled !== undefined) stored.disabled = changes.disabled
    if (changes.dynamic !== undefined) stored.dynamic = changes.dynamic
    return this.#view(stored)
  }

  override remove(id: string): void {
    const stored = this.#lookup(id)
    if (stored === undefined) throw new RouterOsError('no such item')
    this.#delete(stored)
  }

  override all(): AddressListEntry[] {
    const entries: AddressListEntry[] = []
    for (const stored of [...this.#entries.values()]) {
      if (this.#live(stored)) entries.push(this.#view(stored))
      else this.#delete(stored)
    }
    return entries
  }

  override get size(): number {
    return this.all().length
  }

  override reboot(): void {
    throw new Error('bench table: reboot is not supported')
  }

  #normalise(text: string): string {
    const normalised = normalizeAddress(this.family, text)
    if (normalised.kind !== 'address') throw new RouterOsError(`${text} is not a valid address for this bench table`)
    return normalised.address
  }

  #live(stored: StoredEntry | undefined): stored is StoredEntry {
    return stored !== undefined && (stored.expiresAt === undefined || stored.expiresAt > Date.now())
  }

  #lookup(id: string): StoredEntry | undefined {
    if (!/^\*[0-9A-Fa-f]+$/.test(id)) return undefined
    const stored = this.#entries.get(Number.parseInt(id.slice(1), 16))
    if (stored !== undefined && !this.#live(stored)) {
      this.#delete(stored)
      return undefined
    }
    return stored
  }

  #delete(stored: StoredEntry): void {
    this.#entries.delete(stored.number)
    const key = `${stored.list}\u0000${stored.address}`
    if (this.#byKey.get(key) === stored.number) this.#byKey.delete(key)
  }

  #view(stored: StoredEntry): AddressListEntry {
    const entry: AddressListEntry = {
      id: `*${stored.number.toString(16).toUpperCase()}`,
      list: stored.list,
      address: stored.address,
      disabled: stored.disabled,
      dynamic: stored.dynamic || stored.expiresAt !== undefined,
      creationTime: stored.creationTime,
    }
    if (stored.expiresAt !== undefined) entry.timeout = Math.ceil((stored.expiresAt - Date.now()) / 1000)
    if (stored.comment !== undefined) entry.comment = stored.comment
    return entry
  }
}
