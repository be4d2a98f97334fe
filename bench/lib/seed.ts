// Seeds a data folder with active grants before the server starts, through
// knocklist's own store code, in one transaction: creating 100,000 grants
// through the API would take one durable commit each.
import { randomUUID } from 'node:crypto'
import { openDatabase } from '../../src/store/database.js'
import { GrantStore } from '../../src/store/grant-store.js'

export interface SeedGrant {
  knoc: string
  address: string
  expiresAt: number
  user?: string
}

export function seedGrants(dataDir: string, grants: readonly SeedGrant[]): void {
  const database = openDatabase(dataDir)
  try {
    const store = new GrantStore(database)
    const now = Date.now()
    store.insertMany(
      grants.map((grant) => ({
        id: randomUUID(),
        knoc: grant.knoc,
        address: grant.address,
        family: grant.address.includes(':') ? ('ipv6' as const) : ('ipv4' as const),
        user: grant.user ?? null,
        comment: null,
        createdBy: 'bench',
        createdAt: now,
        expiresAt: grant.expiresAt,
      })),
    )
  } finally {
    database.close()
  }
}
