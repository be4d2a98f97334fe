import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { AddressFamily } from '../grants/address.js'
import type { KnocSnapshot } from '../grants/service.js'
import type { FeedFormat } from './formats.js'

export interface CachedFeed {
  body: Buffer
  etag: string
  contentType: string
}

// Rendered feed bodies keyed by knoc, version, format and family, so a poll
// that finds nothing new costs a map lookup, not a render. A new version
// makes a new key; the old ones age out of the LRU.
export class FeedCache {
  readonly #cache: LRUCache<string, CachedFeed>
  readonly #onRender: ((knoc: string, format: string, seconds: number) => void) | undefined

  // onRender receives the time of each render, for the render-time metric.
  constructor(options: { maxBytes: number; onRender?: (knoc: string, format: string, seconds: number) => void }) {
    this.#onRender = options.onRender
    this.#cache = new LRUCache<string, CachedFeed>({
      maxSize: options.maxBytes,
      sizeCalculation: (feed) => Math.max(1, feed.body.length + 128),
    })
  }

  get(snapshotOf: () => KnocSnapshot, knoc: string, version: number, formatName: string, format: FeedFormat, family: AddressFamily | undefined): CachedFeed {
    const key = `${knoc}\u0000${version}\u0000${formatName}\u0000${family ?? ''}`
    let feed = this.#cache.get(key)
    if (feed === undefined) {
      const started = process.hrtime.bigint()
      const body = Buffer.from(format.render(snapshotOf(), family), 'utf8')
      this.#onRender?.(knoc, formatName, Number(process.hrtime.bigint() - started) / 1e9)
      // The ETag hashes the body, so it stays valid across restarts and
      // across versions that render the same bytes.
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
      feed = { body, etag, contentType: format.contentType }
      this.#cache.set(key, feed)
    }
    return feed
  }
}
