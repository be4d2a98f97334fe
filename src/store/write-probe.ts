import type { Statement } from 'better-sqlite3'
import type { Logger } from 'pino'
import { storeHealth, type SqliteDatabase } from './database.js'

// How long the probe waits for another process's write lock. The probe runs
// on the event loop, so it must not wait the store's usual 5 s.
const probeBusyTimeoutMs = 50

// Check of whether the store takes writes, for /readyz. An idle server may
// write nothing for hours, so the probe writes one row itself. writable()
// probes at most once per interval, because each commit waits for the disk.
export class StoreWriteProbe {
  readonly #db: SqliteDatabase
  readonly #write: Statement<[number]>
  readonly #now: () => number
  readonly #intervalMs: number
  readonly #logger: Logger | undefined
  #probedAt = Number.NEGATIVE_INFINITY
  #failing = false

  constructor(db: SqliteDatabase, options: { now: () => number; intervalMs?: number; logger?: Logger | undefined }) {
    this.#db = db
    this.#write = db.prepare('INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at')
    this.#now = options.now
    this.#intervalMs = options.intervalMs ?? 5000
    this.#logger = options.logger
  }

  // Returns false when the last write, a grant's or the probe's, failed.
  writable(): boolean {
    const now = this.#now()
    if (now - this.#probedAt >= this.#intervalMs) {
      this.#probedAt = now
      this.#probe(now)
    }
    return !storeHealth.lastWriteFailed
  }

  #probe(now: number): void {
    const busyTimeout = this.#db.pragma('busy_timeout', { simple: true }) as number
    this.#db.pragma(`busy_timeout = ${probeBusyTimeoutMs}`)
    try {
      this.#write.run(now)
      storeHealth.lastWriteFailed = false
      if (this.#failing) this.#logger?.info('store write probe succeeded again; /readyz reports ready')
      this.#failing = false
    } catch (error) {
      // Another process holding the write lock (a backup, knocklist token
      // create) does not mean the store is broken, so the last result is kept.
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return
      storeHealth.lastWriteFailed = true
      if (!this.#failing) this.#logger?.error({ err: error }, 'store write probe failed; /readyz reports not ready until a write succeeds')
      this.#failing = true
    } finally {
      this.#db.pragma(`busy_timeout = ${busyTimeout}`)
    }
  }
}
