import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const adminTokenFileName = 'admin-token'
export const feedPasswordFileName = 'feed-password'
// The name the token generated on first start has in the store and in logs.
export const generatedAdminTokenName = 'local'

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

// Digests of expected secrets (feed passwords, the metrics token), which are
// few and compared on every poll; reset when it grows past any real config.
const expectedDigests = new Map<string, Buffer>()

// Compares two secrets in time that does not depend on where they differ.
// Hashing first gives equal-length inputs, so the length is not leaked either.
export function secretsEqual(received: string, expected: string): boolean {
  let expectedDigest = expectedDigests.get(expected)
  if (expectedDigest === undefined) {
    if (expectedDigests.size >= 1000) expectedDigests.clear()
    expectedDigest = digest(expected)
    expectedDigests.set(expected, expectedDigest)
  }
  return timingSafeEqual(digest(received), expectedDigest)
}

// Returns the stored form of an admin token: "sha256:" and 64 hex digits.
// A fast hash is right here, unlike for passwords, because tokens are 24 or
// more random bytes. Recovering one from its hash is no faster than trying
// every possible token, so a slow hash would only slow down admin requests.
export function hashAdminToken(token: string): string {
  return `sha256:${digest(token).toString('hex')}`
}

// An admin token from the config file: the token itself or its hash.
export interface ConfiguredAdminToken {
  name: string
  token?: string | undefined
  tokenHash?: string | undefined
}

// The admin tokens in force: those of the config file, kept in memory as
// hashes only, and those in the store, looked up on every miss so a token
// created or revoked with `knocklist token` takes effect at once.
export class AdminTokens {
  readonly #tokens: ReadonlyArray<{ name: string; digest: Buffer }>
  readonly #lookup: ((hash: string) => string | undefined) | undefined

  constructor(tokens: readonly ConfiguredAdminToken[], lookup?: (hash: string) => string | undefined) {
    this.#tokens = tokens.map((entry) => ({
      name: entry.name,
      digest: entry.tokenHash !== undefined ? Buffer.from(entry.tokenHash.slice('sha256:'.length), 'hex') : digest(entry.token ?? ''),
    }))
    this.#lookup = lookup
  }

  get size(): number {
    return this.#tokens.length
  }

  // Returns the name of the matching token, or undefined. The configured
  // hashes are all compared without an early exit, so the time taken does not
  // tell which one came close. The store lookup compares hashes in SQL, which
  // can leak how much of the given token's hash matches a stored one. That
  // reveals nothing about the token itself.
  verify(token: string): string | undefined {
    const given = digest(token)
    let match: string | undefined
    for (const entry of this.#tokens) {
      if (timingSafeEqual(given, entry.digest)) match ??= entry.name
    }
    return match ?? this.#lookup?.(`sha256:${given.toString('hex')}`)
  }
}
