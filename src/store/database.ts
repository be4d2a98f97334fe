import { chmodSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { KnocklistError } from '../errors.js'
import { migrations } from './migrations.js'

export type SqliteDatabase = Database.Database

export const databaseFileName = 'knocklist.db'

// Opens (creating when needed) the store in the data folder and brings its
// schema up to date.
//
// WAL with synchronous=FULL: a commit returns only after its WAL frame is on
// disk, so a grant acknowledged with 201 survives a kill -9 of the process and
// a power loss of the machine.
export function openDatabase(dataDir: string): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = path.join(dataDir, databaseFileName)
  const db = new Database(file)
  try {
    chmodSync(file, 0o600)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    // Another process holding the write lock (a backup, for example) makes
    // writes wait this long before failing.
    db.pragma('busy_timeout = 5000')
    migrate(db)
  } catch (error) {
    db.close()
    throw error
  }
  return db
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > migrations.length) {
    throw new Error(
      `the store ${db.name} has schema version ${current}, newer than this knocklist supports (${migrations.length}); run a newer knocklist or restore a backup`,
    )
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!)
      db.pragma(`user_version = ${version + 1}`)
    })()
  }
}

// Whether the last write to the store failed, for /readyz. A process has one
// store, so one module-level flag is enough.
export const storeHealth = { lastWriteFailed: false }

// Runs a write and turns SQLite's I/O failures (read-only folder, full disk,
// locked file) into KNL_STORE_UNAVAILABLE, so the client gets a 503 and learns
// that nothing was stored.
export function runWrite<T>(write: () => T): T {
  try {
    const result = write()
    storeHealth.lastWriteFailed = false
    return result
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      storeHealth.lastWriteFailed = true
      throw new KnocklistError('KNL_STORE_UNAVAILABLE', `the store could not be written (${code}); nothing was stored, retry when the data folder is writable and has free space`, { cause: error })
    }
    throw error
  }
}
