import type { AddressFamily } from '../grants/address.js'
import type { KnocSnapshot } from '../grants/service.js'

export interface RenderedFeed {
  contentType: string
  body: Buffer
}

export interface FeedFormat {
  contentType: string
  render(snapshot: KnocSnapshot, family: AddressFamily | undefined): string
}

function entriesOf(snapshot: KnocSnapshot, family: AddressFamily | undefined) {
  return family === undefined ? snapshot.entries : snapshot.entries.filter((entry) => entry.family === family)
}

// Feed formats by the extension in their URL. Every format here depends only
// on the snapshot, so its rendered body can be cached per knoc version.
export const feedFormats: Readonly<Record<string, FeedFormat>> = {
  // External Dynamic List: one canonical address per line, LF, no comments,
  // as PAN-OS, FortiGate, pfSense and OPNsense read it. An empty list is an
  // empty body, not an error.
  txt: {
    contentType: 'text/plain; charset=utf-8',
    render(snapshot, family) {
      const entries = entriesOf(snapshot, family)
      return entries.length === 0 ? '' : `${entries.map((entry) => entry.address).join('\n')}\n`
    },
  },
  json: {
    contentType: 'application/json; charset=utf-8',
    render(snapshot, family) {
      return JSON.stringify({
        knoc: snapshot.knoc,
        version: snapshot.version,
        generatedAt: new Date(snapshot.changedAt).toISOString(),
        entries: entriesOf(snapshot, family).map((entry) => ({
          address: entry.address,
          family: entry.family,
          expiresAt: new Date(entry.expiresAt).toISOString(),
        })),
      })
    },
  },
}
