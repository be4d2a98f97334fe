import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { RouterDefinition } from '../../config/schema.js'
import type { GrantService } from '../../grants/service.js'
import type { Knoc, KnocRegistry } from '../../knocs/registry.js'
import type { RouterError } from '../errors.js'
import { RouterClient, type RouterClientOptions, type RouterConnection } from '../rest/index.js'
import { RouterSync, type ReconcileResult, type RouterStatus } from './router-sync.js'

export interface RouterManagerOptions {
  knocs: KnocRegistry
  grants: GrantService
  clock: Clock
  logger: Logger | undefined
  reconcileIntervalMs: number
  heartbeatIntervalMs?: number
  clientOptions?: RouterClientOptions
  retry?: { baseMs: number; maxMs: number }
}

export type SyncReport = Array<{ name: string; ok: boolean; result?: ReconcileResult; code?: number; message?: string; docs?: string }>

// Builds the connection of a configured router; the CA file is read here so
// a changed file takes effect when the knoc is reloaded.
export function routerConnection(router: RouterDefinition): RouterConnection {
  const connection: RouterConnection = {
    name: router.name,
    url: router.url,
    username: router.username,
    password: router.password,
    insecure: router.insecure,
  }
  if (router.fingerprint !== undefined) connection.fingerprint = router.fingerprint
  if (router.ca !== undefined) connection.ca = readFileSync(router.ca, 'utf8')
  return connection
}

// Runs a RouterSync for every router of every active knoc and feeds it the
// grant changes of its knoc.
export class RouterManager {
  readonly #options: RouterManagerOptions
  readonly #syncs = new Map<string, RouterSync[]>()
  // The last error code logged per router, so a router that stays down logs
  // once per new code instead of once per retry.
  readonly #lastLoggedCode = new Map<RouterSync, number>()
  readonly #retiring = new Set<Promise<void>>()

  constructor(options: RouterManagerOptions) {
    this.#options = options
  }

  start(): void {
    const { knocs, grants } = this.#options
    for (const knoc of knocs.all()) this.#startKnoc(knoc)

    grants.on('change', (change) => {
      for (const sync of this.#syncs.get(change.knoc) ?? []) sync.enqueue(change.address, change.after)
    })
    knocs.on('changed', (knoc) => {
      this.#retire(knoc.name, false)
      this.#startKnoc(knoc)
    })
    knocs.on('removed', (knoc) => this.#retire(knoc.name, true))
  }

  status(knocName: string): RouterStatus[] {
    return (this.#syncs.get(knocName) ?? []).map((sync) => sync.status())
  }

  // Reconciles every router of a knoc now and reports what changed.
  async sync(knocName: string): Promise<SyncReport> {
    const syncs = this.#syncs.get(knocName) ?? []
    return Promise.all(
      syncs.map(async (sync) => {
        const outcome = await sync.requestReconcile('requested')
        if (outcome instanceof Error) {
          const error = outcome as RouterError
          return { name: sync.name, ok: false, code: error.code, message: error.message, docs: error.docs }
        }
        return { name: sync.name, ok: true, result: outcome }
      }),
    )
  }

  // Lets queued pushes finish for up to deadlineMs, then closes every client.
  // What is still queued is not lost: grants are in the store, and the
  // reconcile at the next start applies them.
  async close(deadlineMs = 5000): Promise<void> {
    const all = [...this.#syncs.values()].flat()
    const drained = await Promise.all(all.map((sync) => sync.drain(deadlineMs)))
    const left = all.filter((_sync, index) => !drained[index]).map((sync) => sync.name)
    if (left.length > 0) this.#options.logger?.warn({ routers: left }, 'router queues not drained at shutdown; the next start reconciles them')
    await Promise.all(all.map((sync) => sync.close()))
    await Promise.all(this.#retiring)
    this.#syncs.clear()
  }

  #startKnoc(knoc: Knoc): void {
    if (knoc.mode !== 'active') return
    const { clock, grants, logger } = this.#options
    const syncs = knoc.routers.map((router) => {
      const sync = new RouterSync(router.name, {
        knoc: knoc.name,
        list: knoc.addressList,
        client: new RouterClient(routerConnection(router), this.#options.clientOptions),
        clock,
        snapshot: () => grants.snapshot(knoc.name),
        reconcileIntervalMs: this.#options.reconcileIntervalMs,
        ...(this.#options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: this.#options.heartbeatIntervalMs }),
        ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
      })
      const context = { knoc: knoc.name, router: router.name, list: knoc.addressList }
      sync.on('failed', (error) => {
        if (this.#lastLoggedCode.get(sync) === error.code) return
        this.#lastLoggedCode.set(sync, error.code)
        logger?.warn({ ...context, code: error.code, err: error, docs: error.docs }, 'router request failed, retrying')
      })
      sync.on('recovered', () => {
        this.#lastLoggedCode.delete(sync)
        logger?.info(context, 'router reachable again')
      })
      sync.on('reconciled', (result) => {
        const level = result.added + result.updated + result.removed > 0 ? 'info' : 'debug'
        logger?.[level]({ ...context, ...result }, 'address-list synced')
      })
      sync.on('pushed', (event) => logger?.debug({ ...context, ...event }, 'address-list entry pushed'))
      sync.start()
      return sync
    })
    this.#syncs.set(knoc.name, syncs)
  }

  // Stops the syncs of a knoc. A deleted knoc first gets one reconcile
  // against an empty list, which removes every entry it added.
  #retire(knocName: string, removeEntries: boolean): void {
    const syncs = this.#syncs.get(knocName) ?? []
    this.#syncs.delete(knocName)
    for (const sync of syncs) {
      const retiring = (async () => {
        if (removeEntries) await sync.removeAllManaged(30_000)
        await sync.close()
      })()
      this.#retiring.add(retiring)
      void retiring.finally(() => this.#retiring.delete(retiring))
    }
  }
}
