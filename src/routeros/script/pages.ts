// Data pages that the RouterOS importer script downloads.
//
// `/tool fetch output=user` cuts its `data` at 64 KB without an error, so the
// importer never reads one large reply. It first reads a version reply of two
// lines, and stops there when the version matches its last good run. Otherwise
// it reads pages of at most ENTRIES_PER_PAGE entries, each under 60,000 bytes.
// Each page repeats the version, its number, the page count and both entry
// counts, and ends with an `end` line. The importer can therefore tell a cut,
// garbled or empty reply, and a snapshot that changed between two pages, from
// a complete snapshot, including an intentionally empty one.
//
// Version reply:
//   knocklist-version 1 <knoc> <version> <pages> <count>
//   end
// Data page:
//   knocklist-page 1 <knoc> <version> <page> <pages> <count> <entries on this page>
//   4 <IPv4 address or network> <remaining seconds>
//   6 <IPv6 address>/<prefix length> <remaining seconds>
//   end
// Lines end with LF. Numbers are decimal without leading zeros.
import ipaddr from 'ipaddr.js'
import { assertKnocName, type FeedSnapshot, type FeedSnapshotEntry } from './snapshot.js'

/** Data format version, the second word of both headers. */
export const ROUTEROS_FORMAT_VERSION = 1

/**
 * Maximum entries per page. The longest entry line is 55 bytes (an IPv6
 * address of 39 characters, `/128` and an eight-digit timeout), so a page stays
 * under 55,200 bytes, below the 60,000-byte budget under the 64 KB fetch cap.
 */
export const ENTRIES_PER_PAGE = 1000

/** Maximum entry timeout RouterOS accepts: 35w3d13h13m56s. */
export const MAX_TIMEOUT_SECONDS = 21_474_836

/** Maximum page count the importer follows, which bounds its loops (a million entries). */
export const MAX_PAGES = 1000

export interface RouterOsPaths {
  /** Path of the version reply. */
  version: string
  /** Path and query of data page `pageNumber` (1-based) of snapshot `version`. */
  page(pageNumber: number, version: number): string
  /** Path prefix the importer appends `/version` and `/pages/<n>?version=<v>` to. */
  base: string
}

/**
 * Returns the URL paths the importer requests for a knoc. The `version` query
 * on pages only keeps URLs of different snapshots apart. The server may ignore
 * it, because every page states its own version and the importer compares.
 */
export function routerOsPaths(knoc: string): RouterOsPaths {
  assertKnocName(knoc)
  const base = `/v1/feeds/${knoc}/routeros`
  return {
    base,
    version: `${base}/version`,
    page: (pageNumber, version) => `${base}/pages/${pageNumber}?version=${version}`,
  }
}

/** Returns the number of data pages of a snapshot: one for an empty knoc, so that emptiness is stated explicitly. */
export function pageCount(snapshot: FeedSnapshot): number {
  return Math.max(1, Math.ceil(snapshot.entries.length / ENTRIES_PER_PAGE))
}

/** Renders the version reply the importer reads first. */
export function renderVersionReply(snapshot: FeedSnapshot): string {
  checkSnapshot(snapshot)
  const fields = ['knocklist-version', ROUTEROS_FORMAT_VERSION, snapshot.knoc, snapshot.version, pageCount(snapshot), snapshot.entries.length]
  return `${fields.join(' ')}\nend\n`
}

/**
 * Renders data page `pageNumber` (1-based), or returns undefined when the
 * snapshot has no such page. Timeouts are the seconds left at `nowMs`, because
 * router clocks are often wrong. Pages are cut by entry index only, so pages
 * rendered at different times still partition the same snapshot. An entry
 * that has already expired keeps its line with a timeout of 0, which the
 * importer treats as absent.
 */
export function renderDataPage(snapshot: FeedSnapshot, pageNumber: number, nowMs: number): string | undefined {
  checkSnapshot(snapshot)
  if (!Number.isFinite(nowMs)) throw new TypeError(`nowMs must be a finite number of milliseconds, got ${nowMs}`)
  const pages = pageCount(snapshot)
  if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > pages) return undefined

  const start = (pageNumber - 1) * ENTRIES_PER_PAGE
  const entries = snapshot.entries.slice(start, start + ENTRIES_PER_PAGE)
  const header = [
    'knocklist-page',
    ROUTEROS_FORMAT_VERSION,
    snapshot.knoc,
    snapshot.version,
    pageNumber,
    pages,
    snapshot.entries.length,
    entries.length,
  ].join(' ')

  const lines = [header]
  for (const entry of entries) {
    const family = entry.family === 'ipv4' ? '4' : '6'
    lines.push(`${family} ${routerOsAddress(entry)} ${remainingSeconds(entry.expiresAt, nowMs)}`)
  }
  lines.push('end', '')
  return lines.join('\n')
}

/** Returns the seconds from `nowMs` to `expiresAt`, rounded up and clamped to what RouterOS accepts as a timeout. */
export function remainingSeconds(expiresAt: number, nowMs: number): number {
  const seconds = Math.ceil((expiresAt - nowMs) / 1000)
  return Math.min(MAX_TIMEOUT_SECONDS, Math.max(0, seconds))
}

/**
 * Returns the address as RouterOS stores it in an address list: IPv4 hosts
 * without `/32`, IPv6 always with a prefix length (`/128` on hosts), host bits
 * cleared, IPv6 compressed in lower case. Comparing in this form keeps a diff
 * from removing and re-adding an entry on every run.
 */
export function routerOsAddress(entry: Pick<FeedSnapshotEntry, 'address' | 'family'>): string {
  const [host = '', lengthText, extra] = entry.address.split('/')
  const maxLength = entry.family === 'ipv4' ? 32 : 128
  const length = lengthText === undefined ? maxLength : Number(lengthText)
  const valid =
    extra === undefined &&
    (lengthText === undefined || /^\d{1,3}$/.test(lengthText)) &&
    length <= maxLength &&
    (entry.family === 'ipv4' ? ipaddr.IPv4.isValidFourPartDecimal(host) : ipaddr.IPv6.isValid(host) && !host.includes('%'))
  if (!valid) throw new TypeError(`invalid ${entry.family} address in feed snapshot: ${JSON.stringify(entry.address)}`)

  if (entry.family === 'ipv4') {
    const network = ipaddr.IPv4.networkAddressFromCIDR(`${host}/${length}`).toString()
    return length === 32 ? network : `${network}/${length}`
  }
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${host}/${length}`).toRFC5952String()}/${length}`
}

function checkSnapshot(snapshot: FeedSnapshot): void {
  assertKnocName(snapshot.knoc)
  if (!Number.isSafeInteger(snapshot.version) || snapshot.version < 0) {
    throw new TypeError(`feed snapshot version must be a non-negative integer, got ${snapshot.version}`)
  }
  if (pageCount(snapshot) > MAX_PAGES) {
    throw new RangeError(`feed snapshot of ${snapshot.entries.length} entries needs more than ${MAX_PAGES} pages, the most the importer reads`)
  }
}
