import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { runWrite, type SqliteDatabase } from '../store/database.js'

export type AuditAction =
  | 'grant.created'
  | 'grant.extended'
  | 'grant.revoked'
  | 'grant.expired'
  | 'grant.ended'
  | 'knoc.created'
  | 'knoc.updated'
  | 'knoc.deleted'
  | 'feed.fetched'

export interface AuditEvent {
  action: AuditAction
  // Token name for admin actions, feed user for fetches, null for the server itself.
  actor: string | null
  knoc?: string | null
  address?: string | null
  grantId?: string | null
  clientAddress?: string | null
  detail?: Record<string, unknown>
}

export interface AuditRecord extends Required<Omit<AuditEvent, 'detail'>> {
  id: number
  at: string
  detail: Record<string, unknown> | null
}

export interface AuditQuery {
  knoc?: string
  since?: number
  until?: number
  limit: number
}

interface AuditRow {
  id: number
  at: number
  action: AuditAction
  actor: string | null
  knoc: string | null
  address: string | null
  grant_id: string | null
  client_address: string | null
  detail: string | null
}

// Records are buffered and written in one transaction per flush, because a
// feed poll must not cost a synchronous disk write. The grants table stays
// the durable record of grants; the audit trail adds who and when.
//
// Feed fetches that match in knoc, feed user, client address, format and
// status within one flush interval become one record with a `count` in its
// detail, timed at the first of them. A firewall that polls in a tight loop
// would otherwise add a row per request, thousands per second.
const flushIntervalMs = 1000
const maxBuffered = 1000
const pruneIntervalMs = 3600 * 1000

// The audit trail: who created, extended, revoked or let expire each grant,
// who changed knocs, and who fetched feeds, kept for the retention period.
export class AuditLog {
  readonly #db: SqliteDatabase
  readonly #clock: Clock
  readonly #retentionMs: number
  readonly #logger: Logger | undefined
  readonly #logRecords: boolean
  #buffer: Array<AuditEvent & { at: number }> = []
  // Feed-fetch records of the current buffer by what makes them alike.
  #fetches = new Map<string, AuditEvent & { at: number; detail: Record<string, unknown> & { count: number } }>()
  #flushTimer: unknown
  #pruneTimer: unknown
  #closed = false

  constructor(db: SqliteDatabase, options: { clock: Clock; retentionMs: number; logger?: Logger; logRecords?: boolean }) {
    this.#db = db
    this.#clock = options.clock
    this.#retentionMs = options.retentionMs
    this.#logger = options.logger
    this.#logRecords = options.logRecords ?? false
  }

  start(): void {
    this.prune()
    this.#schedulePrune()
  }

  record(event: AuditEvent): void {
    if (this.#closed) return
    if (event.action === 'feed.fetched') {
      this.#recordFetch(event)
      return
    }
    const entry = { ...event, at: this.#clock.now() }
    this.#buffer.push(entry)
    // One structured line per record, for a SIEM that reads the log.
    if (this.#logRecords) this.#logger?.info({ audit: { ...entry, at: new Date(entry.at).toISOString() } }, 'audit record')
    if (this.#buffer.length >= maxBuffered) this.flush()
    else this.#scheduleFlush()
  }

  // Adds a feed fetch to the matching record of this flush interval, or
  // starts one. Its log line waits for the flush, when the count is final.
  #recordFetch(event: AuditEvent): void {
    // JSON keeps the key unambiguous: the feed user and format come from the client.
    const key = JSON.stringify([event.knoc ?? null, event.actor, event.clientAddress ?? null, event.detail?.format, event.detail?.status])
    const pending = this.#fetches.get(key)
    if (pending !== undefined) {
      pending.detail.count++
      return
    }
    const entry = { ...event, at: this.#clock.now(), detail: { ...event.detail, count: 1 } }
    this.#fetches.set(key, entry)
    this.#buffer.push(entry)
    if (this.#buffer.length >= maxBuffered) this.flush()
    else this.#scheduleFlush()
  }

  // Writes buffered records. On a store failure they stay buffered, up to a
  // bound, and the next flush tries again.
  flush(): void {
    if (this.#flushTimer !== undefined) this.#clock.clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    if (this.#buffer.length === 0) return
    const records = this.#buffer
    this.#buffer = []
    if (this.#logRecords) {
      for (const fetch of this.#fetches.values()) this.#logger?.info({ audit: { ...fetch, at: new Date(fetch.at).toISOString() } }, 'audit record')
    }
    this.#fetches.clear()
    try {
      runWrite(() => {
        const insert = this.#db.prepare(`
          INSERT INTO audit (at, action, actor, knoc, address, grant_id, client_address, detail)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        this.#db.transaction(() => {
          for (const record of records) {
            insert.run(record.at, record.action, record.actor, record.knoc ?? null, record.address ?? null, record.grantId ?? null, record.clientAddress ?? null, record.detail === undefined ? null : JSON.stringify(record.detail))
          }
        })()
      })
    } catch (error) {
      this.#buffer = [...records, ...this.#buffer].slice(-10 * maxBuffered)
      this.#logger?.error({ err: error, buffered: this.#buffer.length }, 'audit write failed, retrying')
      this.#scheduleFlush()
    }
  }

  query(query: AuditQuery): AuditRecord[] {
    this.flush()
    const conditions: string[] = []
    const parameters: Array<string | number> = []
    if (query.knoc !== undefined) {
      conditions.push('knoc = ?')
      parameters.push(query.knoc)
    }
    if (query.since !== undefined) {
      conditions.push('at >= ?')
      parameters.push(query.since)
    }
    if (query.until !== undefined) {
      conditions.push('at < ?')
      parameters.push(query.until)
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`
    const rows = this.#db.prepare(`SELECT * FROM audit ${where} ORDER BY at DESC, id DESC LIMIT ?`).all(...parameters, query.limit) as AuditRow[]
    return rows.map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      action: row.action,
      actor: row.actor,
      knoc: row.knoc,
      address: row.address,
      grantId: row.grant_id,
      clientAddress: row.client_address,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    }))
  }

  // Deletes records older than the retention period; returns how many.
  prune(): number {
    this.flush()
    const cutoff = this.#clock.now() - this.#retentionMs
    try {
      const removed = runWrite(() => this.#db.prepare('DELETE FROM audit WHERE at < ?').run(cutoff).changes)
      if (removed > 0) this.#logger?.info({ removed, cutoff: new Date(cutoff).toISOString() }, 'audit records pruned')
      return removed
    } catch (error) {
      this.#logger?.error({ err: error }, 'audit pruning failed')
      return 0
    }
  }

  close(): void {
    this.flush()
    this.#closed = true
    for (const timer of [this.#flushTimer, this.#pruneTimer]) {
      if (timer !== undefined) this.#clock.clearTimeout(timer)
    }
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#closed) return
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined
      this.flush()
    }, flushIntervalMs)
  }

  #schedulePrune(): void {
    if (this.#closed) return
    this.#pruneTimer = this.#clock.setTimeout(() => {
      this.#pruneTimer = undefined
      this.prune()
      this.#schedulePrune()
    }, pruneIntervalMs)
  }
}
