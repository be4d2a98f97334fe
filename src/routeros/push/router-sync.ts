import { EventEmitter } from 'node:events'
import type { Clock } from '../../clock.js'
import type { EffectiveEntry, KnocSnapshot } from '../../grants/service.js'
import { isRouterError, RouterError } from '../errors.js'
import { normalizeRouterOsAddress, type AddressListEntry, type RouterClient } from '../rest/index.js'
import type { AddressFamily } from '../rest/types.js'
import { entryComment, isManagedComment } from './comment.js'
import { initialRouterStatus, noteRouterFailure, noteRouterSuccess, retryDelayMs } from './status.js'

export interface RouterStatus {
  name: string
  // undefined until the first request has finished.
  connected: boolean | undefined
  lastSuccessAt: string | undefined
  lastErrorCode: number | undefined
  lastErrorMessage: string | undefined
  lastErrorAt: string | undefined
  lastErrorDocs: string | undefined
  queueLength: number
  lastReconcileAt: string | undefined
  lastReconcile: ReconcileResult | undefined
}

export interface ReconcileResult {
  added: number
  updated: number
  removed: number
  unchanged: number
}

export interface RouterSyncEvents {
  pushed: [event: { address: string; action: 'add' | 'update' | 'remove'; latencyMs: number | undefined }]
  failed: [error: RouterError]
  reconciled: [result: ReconcileResult & { reason: string }]
  recovered: []
}

export interface RouterSyncOptions {
  knoc: string
  list: string
  client: RouterClient
  clock: Clock
  // Returns the knoc's current effective entries.
  snapshot: () => KnocSnapshot
  reconcileIntervalMs: number
  // How often the router's uptime is read to notice a reboot between reconciles.
  heartbeatIntervalMs?: number
  retry?: { baseMs: number; maxMs: number }
}

// A timeout read back from the router counts down. It is left alone while it
// is within this many seconds of what the grant has left.
const timeoutToleranceSeconds = 10

interface KnownEntry {
  id: string
  family: AddressFamily
}

interface PendingChange {
  entry: EffectiveEntry | undefined
  family: AddressFamily
  queuedAt: number
}

function familyOf(address: string): AddressFamily {
  return address.includes(':') ? 'ipv6' : 'ipv4'
}

// Keeps one router's address list in step with one knoc. Every request goes
// through a single ordered queue, because RouterOS serves REST requests one
// at a time. Changes to one address wait in the queue coalesced: a grant
// revoked before it was pushed sends nothing.
export class RouterSync extends EventEmitter<RouterSyncEvents> {
  readonly name: string
  readonly #options: RouterSyncOptions
  readonly #clock: Clock
  // Pending changes by canonical address, in the order they arrived.
  readonly #pending = new Map<string, PendingChange>()
  // Router entry ids by canonical address, from the last reconcile and every
  // write since; entries not here are unknown to this process.
  readonly #known = new Map<string, KnownEntry>()
  #reconcileRequested: { reason: string; waiters: Array<(result: ReconcileResult | RouterError) => void> } | undefined
  #running = false
  #closed = false
  #started = false
  #retryTimer: unknown
  #reconcileTimer: unknown
  #heartbeatTimer: unknown
  #failures = 0
  #lastUptimeSeconds: number | undefined
  #snapshotOverride: (() => KnocSnapshot) | undefined
  readonly #status: RouterStatus

  constructor(name: string, options: RouterSyncOptions) {
    super()
    this.name = name
    this.#options = options
    this.#clock = options.clock
    this.#status = initialRouterStatus(name)
  }

  // The address list this sync writes.
  get list(): string {
    return this.#options.list
  }

  status(): RouterStatus {
    return { ...this.#status, queueLength: this.#pending.size }
  }

  // Starts with a reconcile, then reconciles every reconcileIntervalMs.
  start(): void {
    this.#started = true
    this.requestReconcile('start')
    this.#scheduleReconcile()
    this.#scheduleHeartbeat()
  }

  // Queues the change of one address, and the latest change wins. Before
  // start() changes only wait, so a sync that waits for a removal on its
  // list sends nothing that the removal could delete.
  enqueue(address: string, entry: EffectiveEntry | undefined): void {
    if (this.#closed) return
    const previous = this.#pending.get(address)
    this.#pending.set(address, { entry, family: entry?.family ?? familyOf(address), queuedAt: previous?.queuedAt ?? this.#clock.now() })
    if (this.#started) this.#kick()
  }

  // Asks for a reconcile; resolves with its result once it has run.
  requestReconcile(reason: string): Promise<ReconcileResult | RouterError> {
    return new Promise((resolve) => {
      if (this.#reconcileRequested === undefined) this.#reconcileRequested = { reason, waiters: [] }
      this.#reconcileRequested.waiters.push(resolve)
      this.#kick()
    })
  }

  // Reconciles against an empty list, which removes every entry this knoc
  // added, for a knoc deleted or no longer writing this list. Gives up after
  // deadlineMs when the router does not respond, and its entries then expire
  // by their own timeouts. The reason is logged with the result.
  async removeAllManaged(deadlineMs: number, reason: string): Promise<ReconcileResult | RouterError | undefined> {
    this.#snapshotOverride = () => ({ knoc: this.#options.knoc, version: 0, changedAt: 0, entries: [] })
    this.#pending.clear()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), deadlineMs)
    })
    try {
      return await Promise.race([this.requestReconcile(reason), deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  // Waits until the queue is empty or the deadline passes; returns whether
  // it drained.
  async drain(deadlineMs: number): Promise<boolean> {
    const until = Date.now() + deadlineMs
    while ((this.#pending.size > 0 || this.#running) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return this.#pending.size === 0 && !this.#running
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const timer of [this.#retryTimer, this.#reconcileTimer, this.#heartbeatTimer]) {
      if (timer !== undefined) this.#clock.clearTimeout(timer)
    }
    const waiters = this.#reconcileRequested?.waiters ?? []
    this.#reconcileRequested = undefined
    for (const waiter of waiters) waiter(new RouterError({ code: 208000, router: this.name, method: 'none', path: 'none', hint: 'knocklist is shutting down' }))
    await this.#options.client.close()
  }

  #kick(): void {
    if (this.#running || this.#closed || this.#retryTimer !== undefined) return
    this.#running = true
    void this.#work().finally(() => {
      this.#running = false
      if (!this.#closed && this.#retryTimer === undefined && (this.#pending.size > 0 || this.#reconcileRequested !== undefined)) this.#kick()
    })
  }

  async #work(): Promise<void> {
    try {
      while (!this.#closed) {
        if (this.#reconcileRequested !== undefined) {
          const request = this.#reconcileRequested
          let result: ReconcileResult
          try {
            result = await this.#reconcile()
          } catch (error) {
            // The request stays queued for the retry; waiters learn of the failure now.
            const waiters = request.waiters.splice(0)
            const routerError = this.#asRouterError(error, 'reconcile')
            for (const waiter of waiters) waiter(routerError)
            throw error
          }
          this.#reconcileRequested = undefined
          for (const waiter of request.waiters) waiter(result)
          this.emit('reconciled', { ...result, reason: request.reason })
          continue
        }
        const next = this.#pending.entries().next()
        if (next.done) return
        const [address, change] = next.value
        await this.#apply(address, change)
        // Only now is the change done; a newer change for the same address
        // that arrived meanwhile replaced the map value and stays queued.
        if (this.#pending.get(address) === change) this.#pending.delete(address)
      }
    } catch (error) {
      this.#recordFailure(this.#asRouterError(error, 'push'))
    }
  }

  // Pushes one address's change: PUT when new, PATCH when it exists, DELETE
  // when its last grant ended.
  async #apply(address: string, change: PendingChange): Promise<void> {
    const client = this.#options.client
    const list = this.#options.list
    const known = this.#known.get(address)
    const remaining = change.entry === undefined ? 0 : Math.ceil((change.entry.expiresAt - this.#clock.now()) / 1000)

    if (change.entry === undefined || remaining <= 0) {
      // An address this process never saw on the router needs no request:
      // the last reconcile found it absent and nothing added it since.
      if (known === undefined) return
      await client.removeEntry(known.family, known.id)
      this.#known.delete(address)
      this.#recordSuccess()
      this.emit('pushed', { address, action: 'remove', latencyMs: this.#clock.now() - change.queuedAt })
      return
    }

    const comment = entryComment(this.#options.knoc, change.entry.users)
    if (known !== undefined) {
      try {
        await client.updateEntry(known.family, known.id, { timeoutSeconds: remaining, comment })
        this.#recordSuccess()
        this.emit('pushed', { address, action: 'update', latencyMs: this.#clock.now() - change.queuedAt })
        return
      } catch (error) {
        // 208106: the entry is gone (reboot, removed by hand); add it again.
        if (!isRouterError(error) || error.code !== 208106) throw error
        this.#known.delete(address)
      }
    }

    try {
      const created = await client.addEntry(change.family, { list, address, timeoutSeconds: remaining, comment })
      this.#known.set(address, { id: created.id, family: change.family })
      this.#recordSuccess()
      this.emit('pushed', { address, action: 'add', latencyMs: this.#clock.now() - change.queuedAt })
    } catch (error) {
      // 208105: "already have such entry" means the entry exists; find it
      // and update it rather than treating the reply as a failure.
      if (!isRouterError(error) || error.code !== 208105) throw error
      const routerAddress = normalizeRouterOsAddress(change.family, address)
      const existing = (await client.listEntries(change.family, list)).find((entry) => entry.address === routerAddress)
      if (existing === undefined) throw error
      if (!isManagedComment(existing.comment, this.#options.knoc)) {
        // An entry the admin made for the same address already lets the
        // address through; it is not ours to change.
        this.#recordSuccess()
        return
      }
      await client.updateEntry(change.family, existing.id, { timeoutSeconds: remaining, comment })
      this.#known.set(address, { id: existing.id, family: change.family })
      this.#recordSuccess()
      this.emit('pushed', { address, action: 'update', latencyMs: this.#clock.now() - change.queuedAt })
    }
  }

  // Reads the managed list once per family, then adds what is missing, fixes
  // timeouts and comments that drifted, and removes tagged entries that are
  // no longer granted. Untagged entries and DNS-name entries are left alone.
  async #reconcile(): Promise<ReconcileResult> {
    const client = this.#options.client
    const { knoc, list } = this.#options
    const resource = await client.systemResource()
    this.#lastUptimeSeconds = resource.uptimeSeconds

    const onRouter = new Map<AddressFamily, AddressListEntry[]>()
    for (const family of ['ipv4', 'ipv6'] as const) onRouter.set(family, await client.listEntries(family, list))

    // The snapshot is taken after the reads, and the queue is cleared at the
    // same instant: the reconcile applies every change up to now, and changes
    // after this point queue up again.
    const snapshot = (this.#snapshotOverride ?? this.#options.snapshot)()
    this.#pending.clear()
    const now = this.#clock.now()
    const result: ReconcileResult = { added: 0, updated: 0, removed: 0, unchanged: 0 }
    this.#known.clear()

    for (const family of ['ipv4', 'ipv6'] as const) {
      const managed = new Map<string, AddressListEntry[]>()
      const unmanaged = new Set<string>()
      for (const entry of onRouter.get(family)!) {
        if (isManagedComment(entry.comment, knoc)) {
          const same = managed.get(entry.address) ?? []
          same.push(entry)
          managed.set(entry.address, same)
        } else {
          unmanaged.add(entry.address)
        }
      }

      for (const desired of snapshot.entries) {
        if (desired.family !== family) continue
        const remaining = Math.ceil((desired.expiresAt - now) / 1000)
        if (remaining <= 0) continue
        const routerAddress = normalizeRouterOsAddress(family, desired.address)
        const comment = entryComment(knoc, desired.users)
        const [current, ...duplicates] = managed.get(routerAddress) ?? []
        managed.delete(routerAddress)

        for (const duplicate of duplicates) {
          await client.removeEntry(family, duplicate.id)
          result.removed++
        }
        if (current === undefined) {
          if (unmanaged.has(routerAddress)) continue
          const created = await client.addEntry(family, { list, address: desired.address, timeoutSeconds: remaining, comment })
          this.#known.set(desired.address, { id: created.id, family })
          result.added++
          continue
        }
        this.#known.set(desired.address, { id: current.id, family })
        const drifted = current.timeoutSeconds === undefined || Math.abs(current.timeoutSeconds - remaining) > timeoutToleranceSeconds
        if (drifted || current.comment !== comment) {
          await client.updateEntry(family, current.id, { timeoutSeconds: remaining, comment })
          result.updated++
        } else {
          result.unchanged++
        }
      }

      for (const stale of managed.values()) {
        for (const entry of stale) {
          await client.removeEntry(family, entry.id)
          result.removed++
        }
      }
    }

    this.#recordSuccess()
    this.#status.lastReconcileAt = new Date(this.#clock.now()).toISOString()
    this.#status.lastReconcile = result
    return result
  }

  #recordSuccess(): void {
    const wasDown = this.#status.connected === false
    this.#failures = 0
    noteRouterSuccess(this.#status, this.#clock.now())
    if (wasDown) {
      this.emit('recovered')
      // The router may have lost entries while it was away (a reboot) or
      // missed removals; read it back once.
      if (this.#reconcileRequested === undefined) void this.requestReconcile('recovered')
    }
  }

  #recordFailure(error: RouterError): void {
    this.#failures++
    noteRouterFailure(this.#status, error, this.#clock.now())
    this.emit('failed', error)
    this.#scheduleRetry()
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer !== undefined) return
    const delay = retryDelayMs(this.#failures, this.#options.retry)
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined
      this.#kick()
    }, delay)
  }

  #scheduleReconcile(): void {
    if (this.#closed) return
    this.#reconcileTimer = this.#clock.setTimeout(() => {
      this.#reconcileTimer = undefined
      void this.requestReconcile('periodic')
      this.#scheduleReconcile()
    }, this.#options.reconcileIntervalMs)
  }

  // Reads the uptime between reconciles; a lower uptime than last time means
  // the router rebooted and dropped every timed entry, so reconcile now.
  #scheduleHeartbeat(): void {
    const interval = this.#options.heartbeatIntervalMs
    if (this.#closed || interval === undefined || interval <= 0) return
    this.#heartbeatTimer = this.#clock.setTimeout(async () => {
      this.#heartbeatTimer = undefined
      if (!this.#running && this.#retryTimer === undefined && this.#reconcileRequested === undefined) {
        try {
          const { uptimeSeconds } = await this.#options.client.systemResource()
          const previous = this.#lastUptimeSeconds
          this.#lastUptimeSeconds = uptimeSeconds
          if (previous !== undefined && uptimeSeconds < previous) void this.requestReconcile('rebooted')
          else this.#recordSuccess()
        } catch (error) {
          if (!this.#closed) this.#recordFailure(this.#asRouterError(error, 'heartbeat'))
        }
      }
      this.#scheduleHeartbeat()
    }, interval)
  }

  #asRouterError(error: unknown, operation: string): RouterError {
    if (isRouterError(error)) return error
    return new RouterError({ code: 208000, router: this.name, method: operation, path: 'n/a', hint: (error as Error).message, cause: error })
  }
}
