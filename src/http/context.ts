import type { AuditLog } from '../audit/audit-log.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/schema.js'
import type { FeedCache } from '../feeds/cache.js'
import type { GrantService } from '../grants/service.js'
import type { KnocRegistry } from '../knocs/registry.js'
import type { Metrics } from '../metrics.js'
import type { RouterManager } from '../routeros/push/manager.js'
import type { RouterClientOptions } from '../routeros/rest/index.js'
import type { AdminTokens } from '../secrets.js'

// The services and settings the routes use. The server builds it once; tests build it
// around a temporary data folder.
export interface AppContext {
  config: Config
  clock: Clock
  knocs: KnocRegistry
  grants: GrantService
  feedCache: FeedCache
  audit: AuditLog
  metrics: Metrics
  adminTokens: AdminTokens
  // Pushes grants of active knocs to their routers.
  routers: RouterManager
  // Settings for router connections made outside the manager, such as validation.
  routerClientOptions: RouterClientOptions | undefined
  // The password of feeds whose knoc sets none.
  defaultFeedPassword: string
  // Whether the store accepted its last write; /readyz reports it.
  storeWritable: () => boolean
}
