// The knoc state that the RouterOS renderers turn into importer data pages and
// `/import` scripts.

export interface FeedSnapshotEntry {
  /**
   * Canonical address: IPv4 hosts without `/32`, IPv6 hosts without `/128`,
   * networks as CIDR with host bits cleared, IPv6 compressed in lower case.
   */
  address: string
  family: 'ipv4' | 'ipv6'
  /** Expiry in milliseconds since the epoch. */
  expiresAt: number
}

export interface FeedSnapshot {
  knoc: string
  /** Increases on every change of the knoc's entries. */
  version: number
  /** Sorted, one entry per address. */
  entries: ReadonlyArray<FeedSnapshotEntry>
}

/** Knoc name rule: the name appears unquoted in URLs and data pages. */
export const KNOC_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

export function assertKnocName(knoc: string): void {
  if (typeof knoc !== 'string' || !KNOC_NAME.test(knoc)) {
    throw new TypeError(`invalid knoc name ${JSON.stringify(knoc)}: expected 1 to 63 characters of a-z, 0-9 and "-", starting with a letter or digit`)
  }
}
