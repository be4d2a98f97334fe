import type { Clock } from '../clock.js'
import type { Config } from '../config/schema.js'
import type { FeedCache } from '../feeds/cache.js'
import type { GrantService } from '../grants/service.js'
import type { KnocRegistry } from '../knocs/registry.js'
import type { AdminTokens } from '../secrets.js'

// What the routes work with. The server builds it once; tests build it
// around a temporary data folder.
export interface AppContext {
  config: Config
  clock: Clock
  knocs: KnocRegistry
  grants: GrantService
  feedCache: FeedCache
  adminTokens: AdminTokens
  // The password of feeds whose knoc sets none.
  defaultFeedPassword: string
  // Whether the store accepted its last write; /readyz reports it.
  storeWritable: () => boolean
}
