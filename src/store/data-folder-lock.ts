import { chmodSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'

export const lockFileName = 'knocklist.lock'

// Error raised when the data folder cannot be taken: another knocklist
// server has it, or it cannot be written.
export class DataFolderLockedError extends Error {
  override name = 'DataFolderLockedError'
}

export interface DataFolderLock {
  release(): void
}

// Takes the data folder for this process. Two servers on one data folder
// would both push to the routers and expire grants, so the second refuses
// to start. The lock is an exclusive SQLite lock on its own small file: the
// kernel drops it when the process ends, even on kill -9, so no stale lock
// is left behind. Commands such as `knocklist token` use the store, not this
// file, and keep working while the server runs.
export function lockDataFolder(dataDir: string): DataFolderLock {
  const file = path.join(dataDir, lockFileName)
  let db: Database.Database
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    db = new Database(file)
  } catch (error) {
    throw new DataFolderLockedError(`cannot open ${file}: ${(error as Error).message}; the data folder must exist or be creatable, and be writable by this user`, { cause: error })
  }
  try {
    chmodSync(file, 0o600)
    db.pragma('busy_timeout = 0')
    // In exclusive locking mode the first write takes a lock that is kept
    // until the connection closes.
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)')
    db.prepare('DELETE FROM holder').run()
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid)
  } catch (error) {
    db.close()
    const code = (error as { code?: unknown }).code
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new DataFolderLockedError(`the data folder ${dataDir} is in use by another knocklist server; stop that server, or give this one its own dataDir`, { cause: error })
    }
    throw new DataFolderLockedError(`cannot lock ${file}: ${(error as Error).message}; the data folder must be writable by this user`, { cause: error })
  }
  return { release: () => db.close() }
}
