import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { EventEmitter } from 'node:events'
import type { Clock } from '../clock.js'
import { DurationError, formatDuration, parseDuration } from '../duration.js'
import { KnocklistError } from '../errors.js'
import type { KnocRegistry } from '../knocs/registry.js'
import type { EndReason, GrantRecord, GrantStore } from '../store/grant-store.js'
import { canonicalizeAddress, checkPrefixLimits, compareAddresses, type AddressFamily } from './address.js'
import { ExpiryQueue } from './expiry-queue.js'

// The entry of one address of a knoc as feeds and routers get it: the latest
// expiry of its active grants and the users behind them.
export interface EffectiveEntry {
  address: string
  family: AddressFamily
  expiresAt: number
  users: readonly string[]
}

export interface KnocSnapshot {
  knoc: string
  version: number
  changedAt: number
  entries: readonly EffectiveEntry[]
}

// One address of a knoc whose effective entry appeared, moved its expiry,
// changed users, or disappeared.
export interface EntryChange {
  knoc: string
  version: number
  address: string
  before: EffectiveEntry | undefined
  after: EffectiveEntry | undefined
}

// The in-memory record of an active grant, with enough for feeds, routers
// and expiry. Comments and creation details stay in the store, which lists them.
export interface ActiveGrant {
  readonly id: string
  readonly knoc: string
  readonly address: string
  readonly family: AddressFamily
  readonly user: string | null
  readonly expiresAt: number
  // Set when the grant ends, so its stale place in the expiry heap is skipped.
  ended: boolean
}

export interface GrantServiceEvents {
  change: [change: EntryChange]
  // extended: the grant moved the expiry of an address that was already listed.
  // clientAddress: where the request came from, for the audit trail.
  granted: [grant: GrantRecord, extended: boolean, clientAddress: string | null]
  // actor: who revoked the grant; null when it expired or its knoc was deleted.
  ended: [grant: ActiveGrant, reason: EndReason, actor: string | null, clientAddress: string | null]
  error: [error: unknown]
}

export interface GrantRequest {
  address: unknown
  ttl?: unknown
  user?: string | null
  comment?: string | null
}

// setTimeout accepts at most 2^31-1 ms (about 24.8 days); a later expiry is
// reached through intermediate wake-ups.
const maxTimerDelayMs = 2 ** 31 - 1

interface KnocState {
  version: number
  changedAt: number
  // Active grants by address: the grant itself when there is one, as for
  // most addresses, else an array. Read through grantsAt().
  grantsByAddress: Map<string, ActiveGrant | ActiveGrant[]>
  grantCount: number
  entries: Map<string, EffectiveEntry>
  sortedEntries: EffectiveEntry[] | undefined
}

const noUsers: readonly string[] = Object.freeze([])

// One shared users list per user name, because most entries have a single
// user and 100,000 one-element arrays would cost megabytes. Bounded, so
// names of users long gone do not pile up.
const singleUserLists = new LRUCache<string, readonly string[]>({ max: 10_000 })

function singleUserList(user: string): readonly string[] {
  let list = singleUserLists.get(user)
  if (list === undefined) {
    list = Object.freeze([user])
    singleUserLists.set(user, list)
  }
  return list
}

function grantsAt(state: KnocState, address: string): readonly ActiveGrant[] {
  const current = state.grantsByAddress.get(address)
  if (current === undefined) return []
  return Array.isArray(current) ? current : [current]
}

function effectiveEntry(grants: readonly ActiveGrant[]): EffectiveEntry | undefined {
  if (grants.length === 1) {
    const grant = grants[0]!
    return { address: grant.address, family: grant.family, expiresAt: grant.expiresAt, users: grant.user ? singleUserList(grant.user) : noUsers }
  }
  let latest: ActiveGrant | undefined
  const users = new Set<string>()
  for (const grant of grants) {
    if (latest === undefined || grant.expiresAt > latest.expiresAt) latest = grant
    if (grant.user) users.add(grant.user)
  }
  if (latest === undefined) return undefined
  let sortedUsers = noUsers
  if (users.size === 1) sortedUsers = singleUserList(users.values().next().value!)
  else if (users.size > 1) sortedUsers = [...users].sort()
  return { address: latest.address, family: latest.family, expiresAt: latest.expiresAt, users: sortedUsers }
}

function sameEntry(a: EffectiveEntry | undefined, b: EffectiveEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.expiresAt === b.expiresAt && a.users.length === b.users.length && a.users.every((user, index) => user === b.users[index])
}

// Keeps active grants in memory, mirrors every change into the store before
// acknowledging it, and expires grants with one timer set to the next expiry.
export class GrantService extends EventEmitter<GrantServiceEvents> {
  readonly #store: GrantStore
  readonly #knocs: KnocRegistry
  readonly #clock: Clock
  readonly #states = new Map<string, KnocState>()
  readonly #expiries = new ExpiryQueue<ActiveGrant>()
  #pendingInserts: Array<{ grant: GrantRecord; clientAddress: string | null; resolve: (grant: GrantRecord) => void; reject: (error: unknown) => void }> = []
  #timer: unknown
  #timerAt = Infinity
  #stopped = false

  constructor(store: GrantStore, knocs: KnocRegistry, clock: Clock) {
    super()
    this.#store = store
    this.#knocs = knocs
    this.#clock = clock
  }

  // Loads active grants, ends those that expired while the server was down
  // and those of knocs that no longer exist, then arms the expiry timer.
  start(): void {
    const now = this.#clock.now()
    const byKnoc = new Map<string, { expired: ActiveGrant[]; orphaned: ActiveGrant[] }>()
    // Rows are read one at a time, so start-up never keeps every row in memory at once.
    for (const row of this.#store.iterateActive()) {
      const knoc = this.#knocs.get(row.knoc)
      const grant = this.#activeGrant(row, knoc?.name ?? row.knoc)
      if (grant.expiresAt <= now || knoc === undefined) {
        const pending = byKnoc.get(grant.knoc) ?? { expired: [], orphaned: [] }
        ;(knoc !== undefined ? pending.expired : pending.orphaned).push(grant)
        byKnoc.set(grant.knoc, pending)
        continue
      }
      this.#add(grant)
    }
    for (const [knoc, pending] of byKnoc) {
      for (const [grants, reason] of [[pending.expired, 'expired'], [pending.orphaned, 'knoc-deleted']] as const) {
        if (grants.length === 0) continue
        this.#store.end(knoc, grants.map((grant) => grant.id), reason, now)
        for (const grant of grants) this.emit('ended', grant, reason, null, null)
      }
    }
    // Ending grants above bumped versions in the store after the states
    // were loaded, so read them again.
    for (const [knocName, state] of this.#states) {
      const { version, changedAt } = this.#store.version(knocName)
      state.version = version
      state.changedAt = changedAt
    }
    this.#armTimer()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  // Validates and stores a grant, then applies it. The returned record is
  // durable: it survives a crash from here on. Grants submitted in the same
  // turn of the event loop are committed in one transaction (group commit),
  // so a burst costs one fsync instead of one per grant.
  grant(knocName: string, request: GrantRequest, createdBy: string | null, clientAddress: string | null = null): Promise<GrantRecord> {
    let grant: GrantRecord
    try {
      grant = this.#newGrant(knocName, request, createdBy)
    } catch (error) {
      return Promise.reject(error)
    }
    return new Promise((resolve, reject) => {
      this.#pendingInserts.push({ grant, clientAddress, resolve, reject })
      if (this.#pendingInserts.length === 1) setImmediate(() => this.#commitPendingInserts())
    })
  }

  #newGrant(knocName: string, request: GrantRequest, createdBy: string | null): GrantRecord {
    const knoc = this.#knocs.require(knocName)
    const input = typeof request.address === 'string' ? request.address : String(request.address)
    const canonical = canonicalizeAddress(request.address)
    checkPrefixLimits(canonical, knoc.prefix, input)
    const ttlSeconds = this.#parseTtl(request.ttl, knoc.ttl)

    const now = this.#clock.now()
    return {
      id: randomUUID(),
      knoc: knoc.name,
      address: canonical.address,
      family: canonical.family,
      // An empty user or comment is stored as none.
      user: request.user || null,
      comment: request.comment || null,
      createdBy,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
    }
  }

  // Commits every queued grant in one transaction, then applies them in the
  // order they arrived. A store failure rejects the whole batch: none of it
  // was acknowledged, and none of it is applied.
  #commitPendingInserts(): void {
    const batch = this.#pendingInserts
    this.#pendingInserts = []
    // A knoc deleted while its grant waited must not get the grant.
    const accepted = batch.filter((pending) => {
      if (this.#knocs.get(pending.grant.knoc) !== undefined) return true
      pending.reject(new KnocklistError('KNL_KNOC_NOT_FOUND', `knoc ${JSON.stringify(pending.grant.knoc)} was deleted before the grant was stored; nothing was stored`))
      return false
    })
    if (accepted.length === 0) return

    let versions: Map<string, number>
    try {
      versions = this.#store.insertMany(accepted.map((pending) => pending.grant))
    } catch (error) {
      for (const pending of accepted) pending.reject(error)
      return
    }

    for (const { grant, clientAddress, resolve } of accepted) {
      const state = this.#state(grant.knoc)
      const before = state.entries.get(grant.address)
      state.version = versions.get(grant.knoc)!
      state.changedAt = grant.createdAt
      this.#add(this.#activeGrant(grant, grant.knoc))
      this.emit('granted', grant, before !== undefined && grant.expiresAt > before.expiresAt, clientAddress)
      this.#emitChange(grant.knoc, grant.address, before)
      resolve(grant)
    }
    this.#armTimer()
  }

  // Revokes one active grant; raises KNL_GRANT_NOT_FOUND for an unknown or
  // already ended id.
  revoke(id: string, actor: string | null = null, clientAddress: string | null = null): ActiveGrant {
    // Revocations are rare, so the id is looked up in the store rather than
    // kept in a process-wide index.
    const stored = this.#store.findActive(id)
    const state = stored && this.#states.get(stored.knoc)
    const grant = state ? grantsAt(state, stored.address).find((candidate) => candidate.id === id) : undefined
    if (grant === undefined) {
      throw new KnocklistError('KNL_GRANT_NOT_FOUND', `grant ${JSON.stringify(id)} not found or no longer active; list active grants with knocklist grants KNOC or GET /v1/knocs/{knoc}/grants`)
    }
    this.#end(grant.knoc, [grant], 'revoked', actor, clientAddress)
    return grant
  }

  // Ends every grant of a knoc, for a knoc being deleted.
  endAll(knocName: string): number {
    const state = this.#states.get(knocName)
    if (state === undefined) return 0
    const grants = [...state.grantsByAddress.values()].flat()
    if (grants.length > 0) this.#end(knocName, grants, 'knoc-deleted')
    return grants.length
  }

  // Lists a knoc's active grants with their comments, from the store. Only
  // grants the feeds still serve are listed: a grant whose end could not be
  // stored yet stays in the list, as it stays in the feed, until the retry.
  activeGrants(knocName: string): GrantRecord[] {
    const state = this.#states.get(knocName)
    if (state === undefined) return []
    const served = (grant: GrantRecord) => grantsAt(state, grant.address).some((active) => active.id === grant.id && !active.ended)
    return this.#store
      .active(knocName)
      .filter(served)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  activeGrantCount(knocName: string): number {
    return this.#states.get(knocName)?.grantCount ?? 0
  }

  // The knoc's effective entries, sorted as feeds list them, with the version
  // they belong to.
  snapshot(knocName: string): KnocSnapshot {
    const state = this.#state(knocName)
    state.sortedEntries ??= [...state.entries.values()].sort((a, b) => compareAddresses(a.address, b.address))
    return { knoc: knocName, version: state.version, changedAt: state.changedAt, entries: state.sortedEntries }
  }

  // Marks a knoc as changed without a grant change (a knoc created or
  // redefined), so feeds and routers pick up a new version.
  touch(knocName: string): void {
    const now = this.#clock.now()
    const state = this.#state(knocName)
    state.version = this.#store.bumpVersion(knocName, now)
    state.changedAt = now
  }

  #parseTtl(ttl: unknown, limits: { default: number; max: number }): number {
    if (ttl === undefined || ttl === null) return limits.default
    let seconds: number
    try {
      seconds = parseDuration(ttl)
    } catch (error) {
      if (!(error instanceof DurationError)) throw error
      throw new KnocklistError('KNL_TTL_INVALID', `invalid ttl ${JSON.stringify(ttl)}: use whole seconds above 0 or a duration such as "90s", "15m", "8h" or "1h30m", at most 100 years`)
    }
    if (seconds > limits.max) {
      throw new KnocklistError('KNL_TTL_TOO_LONG', `ttl ${JSON.stringify(ttl)} is longer than this knoc's maximum of ${limits.max} seconds (${formatDuration(limits.max)}); ask for a shorter ttl or raise the knoc's ttl.max`)
    }
    return seconds
  }

  #state(knocName: string): KnocState {
    let state = this.#states.get(knocName)
    if (state === undefined) {
      const { version, changedAt } = this.#store.version(knocName)
      state = { version, changedAt, grantsByAddress: new Map(), grantCount: 0, entries: new Map(), sortedEntries: undefined }
      this.#states.set(knocName, state)
    }
    return state
  }

  #activeGrant(record: GrantRecord, knocName: string): ActiveGrant {
    return {
      id: record.id,
      // The registry's string, so 100,000 grants share one copy of each name.
      knoc: knocName,
      address: record.address,
      family: record.family === 'ipv6' ? 'ipv6' : 'ipv4',
      // The shared copy of the name, for the same reason as knoc.
      user: record.user === null ? null : singleUserList(record.user)[0]!,
      expiresAt: record.expiresAt,
      ended: false,
    }
  }

  #add(grant: ActiveGrant): void {
    const state = this.#state(grant.knoc)
    const current = state.grantsByAddress.get(grant.address)
    if (current === undefined) state.grantsByAddress.set(grant.address, grant)
    else if (Array.isArray(current)) current.push(grant)
    else state.grantsByAddress.set(grant.address, [current, grant])
    state.grantCount++
    this.#expiries.push(grant)
    this.#refreshEntry(state, grant.address)
  }

  // Stores the end of grants of one knoc, then applies it in memory.
  #end(knocName: string, grants: readonly ActiveGrant[], reason: EndReason, actor: string | null = null, clientAddress: string | null = null): void {
    const now = this.#clock.now()
    const version = this.#store.end(knocName, grants.map((grant) => grant.id), reason, now)
    const state = this.#state(knocName)
    if (version !== undefined) {
      state.version = version
      state.changedAt = now
    }

    const touched = new Map<string, EffectiveEntry | undefined>()
    for (const grant of grants) {
      if (grant.ended) continue
      if (!touched.has(grant.address)) touched.set(grant.address, state.entries.get(grant.address))
      const remaining = grantsAt(state, grant.address).filter((candidate) => candidate !== grant)
      if (remaining.length === 0) state.grantsByAddress.delete(grant.address)
      else state.grantsByAddress.set(grant.address, remaining.length === 1 ? remaining[0]! : remaining)
      grant.ended = true
      state.grantCount--
      this.#refreshEntry(state, grant.address)
      this.emit('ended', grant, reason, actor, clientAddress)
    }
    for (const [address, before] of touched) this.#emitChange(knocName, address, before)
  }

  #refreshEntry(state: KnocState, address: string): void {
    const entry = effectiveEntry(grantsAt(state, address))
    if (sameEntry(state.entries.get(address), entry)) return
    if (entry === undefined) state.entries.delete(address)
    else state.entries.set(address, entry)
    state.sortedEntries = undefined
  }

  #emitChange(knocName: string, address: string, before: EffectiveEntry | undefined): void {
    const state = this.#state(knocName)
    const after = state.entries.get(address)
    if (sameEntry(before, after)) return
    this.emit('change', { knoc: knocName, version: state.version, address, before, after })
  }

  #armTimer(): void {
    if (this.#stopped) return
    let next = this.#expiries.peek()
    // Skip entries of grants that were revoked or already ended.
    while (next !== undefined && next.ended) {
      this.#expiries.pop()
      next = this.#expiries.peek()
    }
    if (next === undefined) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
      this.#timer = undefined
      this.#timerAt = Infinity
      return
    }
    if (this.#timer !== undefined && this.#timerAt === next.expiresAt) return

    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    const delay = Math.min(Math.max(0, next.expiresAt - this.#clock.now()), maxTimerDelayMs)
    this.#timerAt = next.expiresAt
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      this.expireDue()
    }, delay)
  }

  // Ends every grant whose expiry has passed; the timer calls this, and tests
  // with a manual clock may too.
  expireDue(): void {
    const now = this.#clock.now()
    const dueByKnoc = new Map<string, ActiveGrant[]>()
    for (let next = this.#expiries.peek(); next !== undefined && next.expiresAt <= now; next = this.#expiries.peek()) {
      this.#expiries.pop()
      if (next.ended) continue
      const due = dueByKnoc.get(next.knoc) ?? []
      due.push(next)
      dueByKnoc.set(next.knoc, due)
    }
    for (const [knocName, grants] of dueByKnoc) {
      try {
        this.#end(knocName, grants, 'expired')
      } catch (error) {
        // The store is failing: keep the grants queued so the next attempt
        // ends them, and let the owner log the error.
        for (const grant of grants) this.#expiries.push(grant)
        this.emit('error', error)
        this.#retryLater()
        return
      }
    }
    this.#armTimer()
  }

  #retryLater(): void {
    if (this.#stopped) return
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timerAt = Infinity
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.expireDue()
    }, 1000)
  }
}
