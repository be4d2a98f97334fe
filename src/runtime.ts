import type { Logger } from 'pino'
import { systemClock, type Clock } from './clock.js'
import type { Config, KnocDefinition } from './config/schema.js'
import { knocSchema } from './config/schema.js'
import { AuditLog } from './audit/audit-log.js'
import { auditGrantEvents } from './audit/wiring.js'
import { FeedCache } from './feeds/cache.js'
import { GrantService } from './grants/service.js'
import type { AppContext } from './http/context.js'
import { KnocRegistry } from './knocs/registry.js'
import { Metrics } from './metrics.js'
import { RouterManager } from './routeros/push/manager.js'
import type { RouterClientOptions } from './routeros/rest/index.js'
import { ensureLocalSecrets, AdminTokens, generatedAdminTokenName, hashAdminToken, type LocalSecrets } from './secrets.js'
import { AdminTokenStore } from './store/admin-token-store.js'
import { lockDataFolder } from './store/data-folder-lock.js'
import { openDatabase, type SqliteDatabase } from './store/database.js'
import { GrantStore } from './store/grant-store.js'
import { KnocStore } from './store/knoc-store.js'
import { RouterListStore } from './store/router-list-store.js'
import { StoreWriteProbe } from './store/write-probe.js'

// Rendered feeds kept in memory across all knocs, in bytes.
const feedCacheBytes = 64 * 1024 * 1024

export interface Runtime {
  context: AppContext
  database: SqliteDatabase
  secrets: LocalSecrets
  // Starts keeping routers in step, when createRuntime got deferRouters.
  startRouters(): void
  // Stops timers, lets router queues drain briefly, and closes the store.
  close(): Promise<void>
}

// The knocs in force when the config declares none: one passive knoc named
// demo, as the built-in defaults promise.
function configKnocs(config: Config, usingDefaults: boolean): KnocDefinition[] {
  if (config.knocs !== undefined) return [...config.knocs]
  return usingDefaults ? [knocSchema.parse({ name: 'demo' })] : []
}

// Opens the store and wires the services the HTTP routes and the router
// integrations share. Nothing here listens on the network.
export interface RuntimeOptions {
  usingDefaults: boolean
  clock?: Clock
  logger?: Logger
  // Router client settings; tests shorten the timeouts.
  routerClient?: RouterClientOptions
  routerRetry?: { baseMs: number; maxMs: number }
  // How often each router's uptime is read to notice a reboot (default 60 s).
  heartbeatIntervalMs?: number
  // Quiet time before a passive-plus knoc nudges its routers (default 1 s).
  nudgeDebounceMs?: number
  // Process metrics (CPU, memory, event loop); tests turn them off.
  defaultMetrics?: boolean
  // Leaves the routers alone until startRouters(). The server waits until it
  // listens, so a second instance that cannot bind its port changes nothing.
  deferRouters?: boolean
}

export function createRuntime(config: Config, options: RuntimeOptions): Runtime {
  const clock = options.clock ?? systemClock
  const lock = lockDataFolder(config.dataDir)
  let database: SqliteDatabase
  let secrets: LocalSecrets
  try {
    secrets = ensureLocalSecrets(config.dataDir, { adminToken: config.adminTokens.length === 0 })
    database = openDatabase(config.dataDir)
  } catch (error) {
    lock.release()
    throw error
  }

  try {
    const knocs = new KnocRegistry(configKnocs(config, options.usingDefaults), new KnocStore(database), () => clock.now())
    const grants = new GrantService(new GrantStore(database), knocs, clock)
    const audit = new AuditLog(database, { clock, retentionMs: config.audit.retention * 1000, logRecords: config.audit.log, ...(options.logger ? { logger: options.logger } : {}) })
    auditGrantEvents(grants, audit)
    // Admin tokens are verified against hashes only: those of the config, and
    // those in the store, where the generated token's hash is kept too.
    const adminTokenStore = new AdminTokenStore(database)
    adminTokenStore.syncGeneratedToken(generatedAdminTokenName, secrets.adminToken === undefined ? undefined : hashAdminToken(secrets.adminToken), clock.now())
    grants.on('error', (error) => options.logger?.error({ err: error }, 'grant expiry failed, retrying'))
    grants.start()
    const routers = new RouterManager({
      knocs,
      grants,
      clock,
      logger: options.logger,
      reconcileIntervalMs: config.reconcileInterval * 1000,
      lists: new RouterListStore(database),
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 60_000,
      ...(options.routerClient ? { clientOptions: options.routerClient } : {}),
      ...(options.routerRetry ? { retry: options.routerRetry } : {}),
      ...(options.nudgeDebounceMs === undefined ? {} : { nudgeDebounceMs: options.nudgeDebounceMs }),
    })
    const storeProbe = new StoreWriteProbe(database, { now: () => clock.now(), logger: options.logger })
    const metrics = new Metrics({ knocs, grants, routers, defaultMetrics: options.defaultMetrics ?? true })
    let routersStarted = false
    const startRouters = () => {
      if (routersStarted) return
      routersStarted = true
      routers.start()
    }
    if (options.deferRouters !== true) startRouters()
    audit.start()

    const context: AppContext = {
      config,
      clock,
      knocs,
      grants,
      feedCache: new FeedCache({ maxBytes: feedCacheBytes, onRender: (knoc, format, seconds) => metrics.observeFeedRender(knoc, format, seconds) }),
      audit,
      metrics,
      adminTokens: new AdminTokens(config.adminTokens, (hash) => adminTokenStore.findName(hash)),
      routers,
      routerClientOptions: options.routerClient,
      defaultFeedPassword: secrets.feedPassword,
      storeWritable: () => storeProbe.writable(),
    }
    return {
      context,
      database,
      secrets,
      startRouters,
      async close() {
        grants.stop()
        await routers.close()
        try {
          audit.close()
        } finally {
          database.close()
          lock.release()
        }
      },
    }
  } catch (error) {
    database.close()
    lock.release()
    throw error
  }
}
