import { runWrite, type SqliteDatabase } from './database.js'

export interface StoredKnoc {
  name: string
  // The definition as the client sent it (after validation), secrets included.
  definition: unknown
  createdAt: number
  updatedAt: number
}

// Knocs created through the admin API. Their definitions include router and
// feed passwords, which is why the database file is kept at mode 0600.
export class KnocStore {
  readonly #db: SqliteDatabase

  constructor(db: SqliteDatabase) {
    this.#db = db
  }

  all(): StoredKnoc[] {
    const rows = this.#db.prepare('SELECT name, definition, created_at, updated_at FROM knocs ORDER BY name').all() as Array<{
      name: string
      definition: string
      created_at: number
      updated_at: number
    }>
    return rows.map((row) => ({ name: row.name, definition: JSON.parse(row.definition), createdAt: row.created_at, updatedAt: row.updated_at }))
  }

  // Creates or replaces a knoc; returns true when it was created.
  put(name: string, definition: unknown, at: number): boolean {
    return runWrite(() =>
      this.#db.transaction(() => {
        const exists = this.#db.prepare('SELECT 1 FROM knocs WHERE name = ?').get(name) !== undefined
        if (exists) {
          this.#db.prepare('UPDATE knocs SET definition = ?, updated_at = ? WHERE name = ?').run(JSON.stringify(definition), at, name)
        } else {
          this.#db.prepare('INSERT INTO knocs (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?)').run(name, JSON.stringify(definition), at, at)
        }
        return !exists
      })(),
    )
  }

  remove(name: string): boolean {
    return runWrite(() => this.#db.prepare('DELETE FROM knocs WHERE name = ?').run(name).changes > 0)
  }
}
