import type { AddressFamily } from '../grants/address.js'
import { runWrite, type SqliteDatabase } from './database.js'

export interface GrantRecord {
  id: string
  knoc: string
  address: string
  family: AddressFamily
  user: string | null
  comment: string | null
  createdBy: string | null
  createdAt: number
  expiresAt: number
}

export type EndReason = 'revoked' | 'expired' | 'knoc-deleted'

interface GrantRow {
  id: string
  knoc: string
  address: string
  family: AddressFamily
  user: string | null
  comment: string | null
  created_by: string | null
  created_at: number
  expires_at: number
}

function fromRow(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    knoc: row.knoc,
    address: row.address,
    family: row.family,
    user: row.user,
    comment: row.comment,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }
}

// Grants and knoc versions in SQLite. Every method that changes grants bumps
// the knoc's version in the same transaction.
export class GrantStore {
  readonly #db: SqliteDatabase
  readonly #insert
  readonly #end
  readonly #bumpVersion
  readonly #selectVersion
  readonly #selectActive
  readonly #selectActiveOfKnoc
  readonly #selectById

  constructor(db: SqliteDatabase) {
    this.#db = db
    this.#insert = db.prepare(`
      INSERT INTO grants (id, knoc, address, family, user, comment, created_by, created_at, expires_at)
      VALUES (@id, @knoc, @address, @family, @user, @comment, @createdBy, @createdAt, @expiresAt)`)
    this.#end = db.prepare('UPDATE grants SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL')
    this.#bumpVersion = db.prepare(`
      INSERT INTO knoc_versions (knoc, version, changed_at) VALUES (?, 1, ?)
      ON CONFLICT (knoc) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at
      RETURNING version`)
    this.#selectVersion = db.prepare('SELECT version, changed_at FROM knoc_versions WHERE knoc = ?')
    this.#selectActive = db.prepare('SELECT * FROM grants WHERE ended_at IS NULL')
    this.#selectActiveOfKnoc = db.prepare('SELECT * FROM grants WHERE ended_at IS NULL AND knoc = ?')
    this.#selectById = db.prepare('SELECT * FROM grants WHERE id = ? AND ended_at IS NULL')
  }

  // Stores several grants in one transaction, so they share one fsync;
  // returns each knoc's version after the last of its grants.
  insertMany(grants: readonly GrantRecord[]): Map<string, number> {
    return runWrite(() =>
      this.#db.transaction(() => {
        const versions = new Map<string, number>()
        for (const grant of grants) {
          this.#insert.run(grant)
          versions.set(grant.knoc, this.#bump(grant.knoc, grant.createdAt))
        }
        return versions
      })(),
    )
  }

  // Ends grants of one knoc; returns the knoc's new version, or undefined
  // when none of them was still active.
  end(knoc: string, ids: readonly string[], reason: EndReason, at: number): number | undefined {
    return runWrite(() =>
      this.#db.transaction(() => {
        let changed = 0
        for (const id of ids) changed += this.#end.run(at, reason, id).changes
        return changed > 0 ? this.#bump(knoc, at) : undefined
      })(),
    )
  }

  // Bumps a knoc's version without changing grants, for a knoc created or
  // changed so that feeds and routers see something new.
  bumpVersion(knoc: string, at: number): number {
    return runWrite(() => this.#bump(knoc, at))
  }

  version(knoc: string): { version: number; changedAt: number } {
    const row = this.#selectVersion.get(knoc) as { version: number; changed_at: number } | undefined
    return row === undefined ? { version: 0, changedAt: 0 } : { version: row.version, changedAt: row.changed_at }
  }

  findActive(id: string): GrantRecord | undefined {
    const row = this.#selectById.get(id) as GrantRow | undefined
    return row && fromRow(row)
  }

  // Yields active grants one row at a time.
  *iterateActive(): Generator<GrantRecord> {
    for (const row of this.#selectActive.iterate() as IterableIterator<GrantRow>) yield fromRow(row)
  }

  active(knoc?: string): GrantRecord[] {
    const rows = (knoc === undefined ? this.#selectActive.all() : this.#selectActiveOfKnoc.all(knoc)) as GrantRow[]
    return rows.map(fromRow)
  }

  #bump(knoc: string, at: number): number {
    return (this.#bumpVersion.get(knoc, at) as { version: number }).version
  }
}
