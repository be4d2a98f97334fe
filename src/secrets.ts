import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const adminTokenFileName = 'admin-token'
export const feedPasswordFileName = 'feed-password'

export interface LocalSecrets {
  // The admin token generated on first start, when the config names none.
  adminToken: string | undefined
  // The password of every feed whose knoc sets no password of its own.
  feedPassword: string
  // Which of the two were generated just now, so they are printed once.
  generated: { adminToken: boolean; feedPassword: boolean }
}

// Reads a secret file, or creates it with a new random value at mode 0600.
// The exclusive create makes two processes starting at once agree on one value.
function readOrCreateSecret(file: string): { value: string; generated: boolean } {
  try {
    return { value: readFileSync(file, 'utf8').trim(), generated: false }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const value = randomBytes(24).toString('base64url')
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' })
    return { value, generated: true }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return { value: readFileSync(file, 'utf8').trim(), generated: false }
  }
}

export function ensureLocalSecrets(dataDir: string, options: { adminToken: boolean }): LocalSecrets {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const feed = readOrCreateSecret(path.join(dataDir, feedPasswordFileName))
  const admin = options.adminToken ? readOrCreateSecret(path.join(dataDir, adminTokenFileName)) : undefined
  return {
    adminToken: admin?.value,
    feedPassword: feed.value,
    generated: { adminToken: admin?.generated ?? false, feedPassword: feed.generated },
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

// Compares two secrets in time that does not depend on where they differ.
// Hashing first gives equal-length inputs, so the length is not leaked either.
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

// The admin tokens in force, checked without an early exit so the time taken
// does not tell which token came close.
export class AdminTokens {
  readonly #tokens: ReadonlyArray<{ name: string; digest: Buffer }>

  constructor(tokens: ReadonlyArray<{ name: string; token: string }>) {
    this.#tokens = tokens.map((entry) => ({ name: entry.name, digest: digest(entry.token) }))
  }

  get size(): number {
    return this.#tokens.length
  }

  // Returns the name of the matching token, or undefined.
  verify(token: string): string | undefined {
    const given = digest(token)
    let match: string | undefined
    for (const entry of this.#tokens) {
      if (timingSafeEqual(given, entry.digest)) match ??= entry.name
    }
    return match
  }
}
