import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import { readCaFile } from '../../config/ca-file.js'
import { sameRouterUrl, type RouterDefinition } from '../../config/schema.js'
import type { GrantService } from '../../grants/service.js'
import type { Knoc, KnocRegistry } from '../../knocs/registry.js'
import type { RouterList, RouterListStore } from '../../store/router-list-store.js'
import type { RouterError } from '../errors.js'
import { RouterClient, type RouterClientOptions, type RouterConnection } from '../rest/index.js'
import { quoteRouterOsString } from '../script/escape.js'
import { routerOsScriptNames } from '../script/importer.js'
import { managedTag } from './comment.js'
import { RouterNudger } from './nudger.js'
import { RouterSync, type ReconcileResult, type RouterStatus } from './router-sync.js'

export interface RouterManagerOptions {
  knocs: KnocRegistry
  grants: GrantService
  clock: Clock
  logger: Logger | undefined
  reconcileIntervalMs: number
  heartbeatIntervalMs?: number
  clientOptions?: RouterClientOptions
  // Record of the lists written to. With it, lists left behind by a config
  // edit made while knocklist was stopped are emptied at the next start.
  lists?: RouterListStore
  retry?: { baseMs: number; maxMs: number }
  // How long a passive-plus knoc waits after the last change of a burst before
  // its routers run the importer (default 1 s, 5 s at most).
  nudgeDebounceMs?: number
}

// Router events with the knoc and router they belong to, for metrics.
export interface RouterManagerEvents {
  pushed: [labels: RouterLabels, event: { action: 'add' | 'update' | 'remove' | 'nudge'; latencyMs: number | undefined }]
  failed: [labels: RouterLabels, error: RouterError]
  reconciled: [labels: RouterLabels, result: ReconcileResult & { reason: string }]
}

export interface RouterLabels {
  knoc: string
  router: string
}

// Per router: the reconcile counts of an active knoc, or `importerRun` for a
// passive-plus knoc, whose router ran its importer; or the error.
export type SyncReport = Array<{ name: string; ok: boolean; result?: ReconcileResult; importerRun?: true; code?: number; message?: string; docs?: string }>

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
  if (router.ca !== undefined) connection.ca = readCaFile(router.ca)
  return connection
}

// Runs a RouterSync for every router of every active knoc and feeds it the
// grant changes of its knoc.
export class RouterManager extends EventEmitter<RouterManagerEvents> {
  readonly #options: RouterManagerOptions
  readonly #syncs = new Map<string, RouterSync[]>()
  readonly #nudgers = new Map<string, RouterNudger[]>()
  // The last error code logged per router, so a router that stays down logs
  // once per new code instead of once per retry.
  readonly #lastLoggedCode = new Map<RouterSync, number>()
  readonly #retiring = new Set<Promise<void>>()
  // Removals still running, by knoc, router and list. A sync that starts on
  // the same list waits for them, so a removal does not delete what it adds.
  readonly #removing = new Map<string, Promise<void>>()
  // The URL each sync writes to, for the warning when its removal fails.
  readonly #syncUrls = new WeakMap<RouterSync, string>()

  constructor(options: RouterManagerOptions) {
    super()
    this.#options = options
  }

  start(): void {
    const { knocs, grants } = this.#options
    const recorded = this.#recordedLists()
    for (const knoc of knocs.all()) this.#startKnoc(knoc)
    this.#emptyListsLeftBehind(recorded)

    grants.on('change', (change) => {
      for (const sync of this.#syncs.get(change.knoc) ?? []) sync.enqueue(change.address, change.after)
      for (const nudger of this.#nudgers.get(change.knoc) ?? []) nudger.poke()
    })
    knocs.on('changed', (knoc, previous) => {
      this.#retire(knoc.name, 'knoc changed', (routerName) => !keepsPushing(previous, knoc, routerName))
      this.#startKnoc(knoc)
    })
    knocs.on('removed', (knoc) => this.#retire(knoc.name, 'knoc deleted', () => true))
  }

  // Knoc names that have routers being kept in step.
  knocNames(): string[] {
    return [...this.#syncs.keys(), ...this.#nudgers.keys()]
  }

  status(knocName: string): RouterStatus[] {
    return [...(this.#syncs.get(knocName) ?? []), ...(this.#nudgers.get(knocName) ?? [])].map((worker) => worker.status())
  }

  // Reconciles every router of a knoc now and reports what changed.
  async sync(knocName: string): Promise<SyncReport> {
    const syncs = this.#syncs.get(knocName) ?? []
    const nudgers = this.#nudgers.get(knocName) ?? []
    const failed = (name: string, error: RouterError) => ({ name, ok: false, code: error.code, message: error.message, docs: error.docs })
    const reconciled = syncs.map(async (sync) => {
      const outcome = await sync.requestReconcile('requested')
      if (outcome instanceof Error) return failed(sync.name, outcome as RouterError)
      return { name: sync.name, ok: true, result: outcome }
    })
    // A passive-plus router keeps its own list, so syncing it means running
    // its importer now.
    const importerRuns = nudgers.map(async (nudger) => {
      const error = await nudger.runNow()
      return error === undefined ? { name: nudger.name, ok: true, importerRun: true as const } : failed(nudger.name, error)
    })
    return Promise.all([...reconciled, ...importerRuns])
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
    await Promise.all([...this.#nudgers.values()].flat().map((nudger) => nudger.close()))
    await Promise.all(this.#retiring)
    this.#syncs.clear()
    this.#nudgers.clear()
  }

  #startKnoc(knoc: Knoc): void {
    if (knoc.mode === 'passive-plus') {
      this.#startNudgers(knoc)
      return
    }
    if (knoc.mode !== 'active') return
    const { clock, grants, logger } = this.#options
    const syncs = knoc.routers.flatMap((router) => {
      const client = this.#connect(knoc, router)
      if (client === undefined) return []
      const sync = new RouterSync(router.name, {
        knoc: knoc.name,
        list: knoc.addressList,
        client,
        clock,
        snapshot: () => grants.snapshot(knoc.name),
        reconcileIntervalMs: this.#options.reconcileIntervalMs,
        ...(this.#options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: this.#options.heartbeatIntervalMs }),
        ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
      })
      const context = { knoc: knoc.name, router: router.name, list: knoc.addressList }
      const labels: RouterLabels = { knoc: knoc.name, router: router.name }
      sync.on('failed', (error) => {
        this.emit('failed', labels, error)
        if (this.#lastLoggedCode.get(sync) === error.code) return
        this.#lastLoggedCode.set(sync, error.code)
        logger?.warn({ ...context, code: error.code, err: error, docs: error.docs }, 'router request failed, retrying')
      })
      sync.on('recovered', () => {
        this.#lastLoggedCode.delete(sync)
        logger?.info(context, 'router reachable again')
      })
      sync.on('reconciled', (result) => {
        this.emit('reconciled', labels, result)
        const level = result.added + result.updated + result.removed > 0 ? 'info' : 'debug'
        logger?.[level]({ ...context, ...result }, 'address-list synced')
      })
      sync.on('pushed', (event) => {
        this.emit('pushed', labels, { action: event.action, latencyMs: event.latencyMs })
        logger?.debug({ ...context, ...event }, 'address-list entry pushed')
      })
      this.#syncUrls.set(sync, router.url)
      // A removal through an old URL that may reach this same router goes
      // first. A dead old URL keeps this sync waiting for removalWaitMs at most.
      const removing = this.#removing.get(listKey({ knoc: knoc.name, router: router.name, list: knoc.addressList }))
      if (removing === undefined) sync.start()
      else void Promise.race([removing, delay(removalWaitMs)]).then(() => sync.start())
      this.#recordList({ knoc: knoc.name, router: router.name, url: router.url, list: knoc.addressList })
      return [sync]
    })
    this.#syncs.set(knoc.name, syncs)
  }

  // Builds the REST client of a router. A CA file that went missing after
  // the knoc was saved must not stop the server, so the router is left out
  // with an error in the log until the file is back and the knoc reloaded.
  #connect(knoc: Knoc, router: RouterDefinition): RouterClient | undefined {
    try {
      return new RouterClient(routerConnection(router), this.#options.clientOptions)
    } catch (error) {
      this.#options.logger?.error({ knoc: knoc.name, router: router.name, err: error }, 'router left out: its connection settings cannot be used')
      return undefined
    }
  }

  #startNudgers(knoc: Knoc): void {
    const { clock, logger } = this.#options
    const debounceMs = this.#options.nudgeDebounceMs ?? 1000
    const nudgers = knoc.routers.flatMap((router) => {
      const client = this.#connect(knoc, router)
      if (client === undefined) return []
      const nudger = new RouterNudger(router.name, {
        client,
        clock,
        script: routerOsScriptNames(knoc.name).script,
        debounceMs,
        maxWaitMs: Math.max(debounceMs, 5000),
        ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
      })
      const labels: RouterLabels = { knoc: knoc.name, router: router.name }
      nudger.on('nudged', (event) => {
        this.emit('pushed', labels, { action: 'nudge', latencyMs: event.latencyMs })
        logger?.debug({ ...labels, latencyMs: event.latencyMs }, 'router asked to run the importer')
      })
      nudger.on('failed', (error) => {
        this.emit('failed', labels, error)
        logger?.warn({ ...labels, code: error.code, err: error, docs: error.docs }, 'importer nudge failed, retrying')
      })
      return [nudger]
    })
    this.#nudgers.set(knoc.name, nudgers)
  }

  // Stops the syncs of a knoc. A router whose entries nothing will manage
  // any more (the knoc deleted, or changed so that it no longer pushes this
  // list to this router) first gets one reconcile against an empty list,
  // which removes every entry knocklist added there. Otherwise a grant
  // revoked later would stay on that router until its timeout.
  #retire(knocName: string, reason: string, removeEntriesOf: (routerName: string) => boolean): void {
    const syncs = this.#syncs.get(knocName) ?? []
    this.#syncs.delete(knocName)
    for (const nudger of this.#nudgers.get(knocName) ?? []) void nudger.close()
    this.#nudgers.delete(knocName)
    for (const sync of syncs) {
      if (!removeEntriesOf(sync.name)) {
        void sync.close()
        continue
      }
      const entry = { knoc: knocName, router: sync.name, list: sync.list }
      const url = this.#syncUrls.get(sync)
      this.#trackRemoval(entry, async () => {
        const outcome = await sync.removeAllManaged(30_000, reason)
        // Closing waits for a request still in flight, which must not hold
        // up a sync waiting to start on this list.
        this.#track(sync.close())
        if (outcome !== undefined && !(outcome instanceof Error)) {
          this.#forgetListUnlessWritten(entry)
        } else if (url !== undefined) {
          // The list stays recorded where it still can be, so the next start
          // tries again. A new URL replaced the record, so the log is the
          // only trace of the old device.
          const code = outcome === undefined ? undefined : outcome.code
          this.#options.logger?.warn({ ...entry, url, code, removeCommand: removalCommand({ ...entry, url }) }, 'removing knocklist entries from a list it no longer writes failed; they expire by their timeouts, or remove them on the router with removeCommand')
        }
        this.#pokeImporters(knocName)
      })
    }
  }

  // Runs a removal from one list and remembers it until it is done, for
  // close() and for a sync that starts on the same list meanwhile.
  #trackRemoval(entry: Pick<RouterList, 'knoc' | 'router' | 'list'>, remove: () => Promise<void>): void {
    const key = listKey(entry)
    const removing = remove().catch((error: unknown) => {
      this.#options.logger?.error({ ...entry, err: error }, 'removing entries from a list knocklist no longer writes failed')
    })
    this.#removing.set(key, removing)
    this.#track(removing)
    void removing.finally(() => {
      if (this.#removing.get(key) === removing) this.#removing.delete(key)
    })
  }

  // Keeps work that close() must wait for.
  #track(work: Promise<void>): void {
    this.#retiring.add(work)
    void work.finally(() => this.#retiring.delete(work))
  }

  // Forgets a list once emptied, unless a sync started on it again meanwhile
  // (the knoc deleted and created anew), which still needs the record.
  #forgetListUnlessWritten(entry: Pick<RouterList, 'knoc' | 'router' | 'list'>): void {
    const written = (this.#syncs.get(entry.knoc) ?? []).some((sync) => sync.name === entry.router && sync.list === entry.list)
    if (!written) this.#forgetList(entry)
  }

  // A knoc switched from active to passive-plus loses its pushed entries
  // first, because the importer manages only entries whose comment is exactly
  // its tag, and pushed entries add the users. Its routers then run the
  // importer at once instead of at their next poll.
  #pokeImporters(knocName: string): void {
    for (const nudger of this.#nudgers.get(knocName) ?? []) nudger.poke()
  }

  #recordedLists(): RouterList[] {
    try {
      return this.#options.lists?.all() ?? []
    } catch (error) {
      this.#options.logger?.error({ err: error }, 'reading the recorded router lists failed; lists left behind by a config edit are not emptied at this start')
      return []
    }
  }

  // A failed store write must not stop pushing, so it is logged and the
  // record is left as it was.
  #recordList(entry: RouterList): void {
    try {
      this.#options.lists?.record(entry)
    } catch (error) {
      this.#options.logger?.error({ ...entry, err: error }, 'recording a router list failed')
    }
  }

  #forgetList(entry: Pick<RouterList, 'knoc' | 'router' | 'list'>): void {
    try {
      this.#options.lists?.forget(entry)
    } catch (error) {
      this.#options.logger?.error({ ...entry, err: error }, 'forgetting a router list failed')
    }
  }

  // Empties the lists written before this start that nothing writes now: the
  // config file was edited while knocklist was stopped to rename a list, drop
  // a router or a knoc, or leave active mode. Otherwise a grant revoked later
  // would stay on such a list until its timeout.
  #emptyListsLeftBehind(recorded: readonly RouterList[]): void {
    const { knocs, logger } = this.#options
    for (const left of recorded) {
      const knoc = knocs.get(left.knoc)
      const router = knoc?.routers.find((candidate) => candidate.name === left.router || sameRouterUrl(candidate.url, left.url))
      if (knoc !== undefined && router !== undefined && knoc.mode === 'active' && knoc.addressList === left.list) {
        // Still written, perhaps under a new router name, or at a new URL,
        // which may be another device that still has the old entries.
        if (router.name !== left.router) this.#forgetList(left)
        else if (!sameRouterUrl(router.url, left.url)) warnLeftBehind(logger, left)
        continue
      }
      // Without the router in the config there is no password to log in with.
      // A router of the same name at another URL may be another device, which
      // must not get the old list's removal or the password.
      if (knoc === undefined || router === undefined || !sameRouterUrl(router.url, left.url)) {
        warnLeftBehind(logger, left)
        this.#forgetList(left)
        continue
      }
      this.#emptyList(knoc, router, left)
    }
  }

  #emptyList(knoc: Knoc, router: RouterDefinition, left: RouterList): void {
    const { clock, logger } = this.#options
    const client = this.#connect(knoc, router)
    if (client === undefined) return
    const sync = new RouterSync(router.name, {
      knoc: knoc.name,
      list: left.list,
      client,
      clock,
      snapshot: () => ({ knoc: knoc.name, version: 0, changedAt: 0, entries: [] }),
      reconcileIntervalMs: this.#options.reconcileIntervalMs,
    })
    const context = { knoc: knoc.name, router: router.name, list: left.list }
    this.#trackRemoval(left, async () => {
      const outcome = await sync.removeAllManaged(30_000, 'list left behind by a config edit')
      await sync.close()
      // Whatever the outcome, the importer of a passive-plus router puts
      // back what is granted.
      this.#pokeImporters(knoc.name)
      if (outcome === undefined || outcome instanceof Error) {
        const code = outcome === undefined ? undefined : outcome.code
        logger?.warn({ ...context, code, removeCommand: removalCommand(left) }, 'emptying a list knocklist no longer writes failed; the next start tries again')
        return
      }
      this.#forgetListUnlessWritten(left)
      logger?.info({ ...context, removed: outcome.removed }, 'emptied a list knocklist no longer writes')
    })
  }
}

function warnLeftBehind(logger: Logger | undefined, left: RouterList): void {
  logger?.warn(
    { knoc: left.knoc, router: left.router, url: left.url, list: left.list, removeCommand: removalCommand(left) },
    'knocklist entries left on a router that is no longer configured at this URL; they expire by their timeouts, or remove them on the router with removeCommand',
  )
}

// How long a sync waits for a removal on its list through another URL.
const removalWaitMs = 10_000

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref())
}

function listKey(entry: Pick<RouterList, 'knoc' | 'router' | 'list'>): string {
  return `${entry.knoc}\n${entry.router}\n${entry.list}`
}

// The RouterOS commands that remove a knoc's entries from a list by hand.
function removalCommand(left: RouterList): string {
  const tag = managedTag(left.knoc)
  // Knoc names are lower-case letters, digits and dashes, so the tag needs
  // no regex escaping.
  const where = `where list=${quoteRouterOsString(left.list)} comment~${quoteRouterOsString(`^${tag}( |$)`)}`
  return ['ip', 'ipv6'].map((menu) => `/${menu} firewall address-list remove [/${menu} firewall address-list find ${where}]`).join('; ')
}

// Whether the changed knoc still pushes the same list to the same router, by
// name and URL, in active mode, so its entries there stay managed. A new URL
// may be another device, so the old one is emptied through the old URL. If
// both URLs reach one router, the new sync starts after that removal and its
// first reconcile puts the entries back.
// A config knoc edited while knocklist was stopped is handled at the next
// start from the recorded lists instead.
function keepsPushing(previous: Knoc | undefined, next: Knoc, routerName: string): boolean {
  if (previous === undefined || previous.mode !== 'active' || next.mode !== 'active') return false
  if (previous.addressList !== next.addressList) return false
  const before = previous.routers.find((router) => router.name === routerName)
  if (before === undefined) return false
  return next.routers.some((router) => router.name === routerName && sameDevice(before, router))
}

// Whether two definitions of a router reach the same device: the same URL, or
// the same pinned certificate (say an IP address replaced by a DNS name).
function sameDevice(before: RouterDefinition, after: RouterDefinition): boolean {
  if (sameRouterUrl(before.url, after.url)) return true
  return before.fingerprint !== undefined && before.fingerprint === after.fingerprint
}
