import { runWrite, type SqliteDatabase } from './database.js'

export interface StoredAdminToken {
  name: string
  createdAt: number
}

// Admin tokens created with `knocklist token create`, and the hash of the
// token generated on first start. Only `sha256:<hex>` hashes are kept, so a
// copy of the database file does not hand out admin access.
export class AdminTokenStore {
  readonly #db: SqliteDatabase

  constructor(db: SqliteDatabase) {
    this.#db = db
  }

  // Returns the name of the token with this hash, or undefined.
  findName(hash: string): string | undefined {
    const row = this.#db.prepare('SELECT name FROM admin_tokens WHERE hash = ?').get(hash) as { name: string } | undefined
    return row?.name
  }

  list(): StoredAdminToken[] {
    const rows = this.#db.prepare('SELECT name, created_at FROM admin_tokens ORDER BY name').all() as Array<{ name: string; created_at: number }>
    return rows.map((row) => ({ name: row.name, createdAt: row.created_at }))
  }

  // Stores a new token; returns false when the name is taken.
  create(name: string, hash: string, at: number): boolean {
    return runWrite(() => this.#db.prepare('INSERT INTO admin_tokens (name, hash, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, hash, at).changes > 0)
  }

  // Stores the token under this name, replacing the hash when it differs.
  // The creation time changes only when the hash does.
  put(name: string, hash: string, at: number): void {
    runWrite(() =>
      this.#db
        .prepare('INSERT INTO admin_tokens (name, hash, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at WHERE hash <> excluded.hash')
        .run(name, hash, at),
    )
  }

  // Keeps the row of the token generated on first start in step with the
  // admin-token file: its hash while the generated token is in force, no row
  // while the config names tokens. Writes only when something changed, so a
  // read-only store still opens.
  syncGeneratedToken(name: string, hash: string | undefined, at: number): void {
    const current = this.#db.prepare('SELECT hash FROM admin_tokens WHERE name = ?').get(name) as { hash: string } | undefined
    if (hash === undefined) {
      if (current !== undefined) this.remove(name)
      return
    }
    if (current?.hash !== hash) this.put(name, hash, at)
  }

  remove(name: string): boolean {
    return runWrite(() => this.#db.prepare('DELETE FROM admin_tokens WHERE name = ?').run(name).changes > 0)
  }
}
