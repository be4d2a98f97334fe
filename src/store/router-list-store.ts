import { runWrite, type SqliteDatabase } from './database.js'

// An address list on one router that an active knoc writes to.
export interface RouterList {
  knoc: string
  router: string
  url: string
  list: string
}

// The address lists knocklist has written to, kept so that entries left
// under a list nothing writes any more can be found after a restart.
export class RouterListStore {
  readonly #db: SqliteDatabase

  constructor(db: SqliteDatabase) {
    this.#db = db
  }

  all(): RouterList[] {
    return this.#db.prepare('SELECT knoc, router, url, list FROM router_lists ORDER BY knoc, router, list').all() as RouterList[]
  }

  // Records a list, or updates the router's URL when the list is known.
  record(entry: RouterList): void {
    runWrite(() =>
      this.#db
        .prepare('INSERT INTO router_lists (knoc, router, url, list) VALUES (?, ?, ?, ?) ON CONFLICT (knoc, router, list) DO UPDATE SET url = excluded.url')
        .run(entry.knoc, entry.router, entry.url, entry.list),
    )
  }

  forget(entry: Pick<RouterList, 'knoc' | 'router' | 'list'>): void {
    runWrite(() => this.#db.prepare('DELETE FROM router_lists WHERE knoc = ? AND router = ? AND list = ?').run(entry.knoc, entry.router, entry.list))
  }
}
