import type { Logger } from 'pino'
import { runWrite, storeHealth, type SqliteDatabase } from './database.js'

// Check of whether the store takes writes, for /readyz. An idle server may
// write nothing for hours, so the probe writes one row itself, at most once
// per interval because each probe commit waits for the disk.
export class StoreWriteProbe {
  readonly #db: SqliteDatabase
  readonly #now: () => number
  readonly #intervalMs: number
  readonly #logger: Logger | undefined
  #probedAt = Number.NEGATIVE_INFINITY

  constructor(db: SqliteDatabase, options: { now: () => number; intervalMs?: number; logger?: Logger | undefined }) {
    this.#db = db
    this.#now = options.now
    this.#intervalMs = options.intervalMs ?? 5000
    this.#logger = options.logger
  }

  // Returns false when the last write, a grant's or the probe's, failed.
  writable(): boolean {
    const now = this.#now()
    if (now - this.#probedAt >= this.#intervalMs) {
      this.#probedAt = now
      try {
        runWrite(() => this.#db.prepare('INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(now))
      } catch (error) {
        storeHealth.lastWriteFailed = true
        this.#logger?.error({ err: error }, 'store write probe failed; /readyz reports not ready until a write succeeds')
      }
    }
    return !storeHealth.lastWriteFailed
  }
}
