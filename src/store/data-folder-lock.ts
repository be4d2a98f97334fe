import { chmodSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'

export const lockFileName = 'knocklist.lock'

// Error raised when another knocklist server has locked the data folder.
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
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = path.join(dataDir, lockFileName)
  const db = new Database(file)
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
    throw error
  }
  return { release: () => db.close() }
}
