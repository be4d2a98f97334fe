import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { GrantService } from './grants/service.js'
import type { KnocRegistry } from './knocs/registry.js'
import type { RouterManager } from './routeros/push/manager.js'

// Prometheus metrics of one knocklist process. Each process (and each test)
// has its own registry, so nothing is shared through prom-client's global one.
export class Metrics {
  readonly registry = new Registry()
  readonly #feedRequests: Counter<'knoc' | 'format' | 'status'>
  readonly #feedRender: Histogram<'knoc' | 'format'>

  constructor(options: { knocs: KnocRegistry; grants: GrantService; routers: RouterManager; defaultMetrics?: boolean }) {
    const { knocs, grants, routers } = options
    const registers = [this.registry]
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry })

    new Gauge({
      name: 'knocklist_active_grants',
      help: 'Active grants per knoc.',
      labelNames: ['knoc'],
      registers,
      collect() {
        this.reset()
        for (const knoc of knocs.all()) this.set({ knoc: knoc.name }, grants.activeGrantCount(knoc.name))
      },
    })
    new Gauge({
      name: 'knocklist_active_addresses',
      help: 'Addresses in the list of each knoc (one per address, however many grants it has).',
      labelNames: ['knoc'],
      registers,
      collect() {
        this.reset()
        for (const knoc of knocs.all()) this.set({ knoc: knoc.name }, grants.snapshot(knoc.name).entries.length)
      },
    })

    const grantEvents = new Counter({
      name: 'knocklist_grant_events_total',
      help: 'Grants created, revoked, expired, or ended because their knoc was deleted.',
      labelNames: ['knoc', 'event'],
      registers,
    })
    grants.on('granted', (grant) => grantEvents.inc({ knoc: grant.knoc, event: 'created' }))
    grants.on('ended', (grant, reason) => grantEvents.inc({ knoc: grant.knoc, event: reason }))

    this.#feedRequests = new Counter({
      name: 'knocklist_feed_requests_total',
      help: 'Feed requests by knoc, format and HTTP status.',
      labelNames: ['knoc', 'format', 'status'],
      registers,
    })
    this.#feedRender = new Histogram({
      name: 'knocklist_feed_render_seconds',
      help: 'Time to render a feed body after a change; polls of an unchanged feed do not render.',
      labelNames: ['knoc', 'format'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    })

    const pushLatency = new Histogram({
      name: 'knocklist_router_push_seconds',
      help: 'Time from a grant change to the router acknowledging it.',
      labelNames: ['knoc', 'router', 'action'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    })
    const routerErrors = new Counter({
      name: 'knocklist_router_errors_total',
      help: 'Failed router requests by RouterOS error code (see docs/errors/<code>.md).',
      labelNames: ['knoc', 'router', 'code'],
      registers,
    })
    const reconciles = new Counter({
      name: 'knocklist_router_reconciles_total',
      help: 'Reconcile runs per router and reason.',
      labelNames: ['knoc', 'router', 'reason'],
      registers,
    })
    const reconciledEntries = new Counter({
      name: 'knocklist_router_reconciled_entries_total',
      help: 'Entries a reconcile added, updated or removed.',
      labelNames: ['knoc', 'router', 'change'],
      registers,
    })
    new Gauge({
      name: 'knocklist_router_queue_length',
      help: 'Changes waiting to be pushed to each router.',
      labelNames: ['knoc', 'router'],
      registers,
      collect() {
        this.reset()
        for (const knoc of routers.knocNames()) {
          for (const status of routers.status(knoc)) this.set({ knoc, router: status.name }, status.queueLength)
        }
      },
    })
    new Gauge({
      name: 'knocklist_router_up',
      help: '1 when the last request to the router succeeded, 0 when it failed.',
      labelNames: ['knoc', 'router'],
      registers,
      collect() {
        this.reset()
        for (const knoc of routers.knocNames()) {
          for (const status of routers.status(knoc)) {
            if (status.connected !== undefined) this.set({ knoc, router: status.name }, status.connected ? 1 : 0)
          }
        }
      },
    })

    routers.on('pushed', (labels, event) => {
      if (event.latencyMs !== undefined) pushLatency.observe({ ...labels, action: event.action }, event.latencyMs / 1000)
    })
    routers.on('failed', (labels, error) => routerErrors.inc({ ...labels, code: String(error.code) }))
    routers.on('reconciled', (labels, result) => {
      reconciles.inc({ ...labels, reason: result.reason })
      reconciledEntries.inc({ ...labels, change: 'added' }, result.added)
      reconciledEntries.inc({ ...labels, change: 'updated' }, result.updated)
      reconciledEntries.inc({ ...labels, change: 'removed' }, result.removed)
    })
  }

  // Label children by knoc, format and status. Looking a child up by one
  // string key is far cheaper than prom-client hashing a label object on
  // every poll. The label values come from configured knocs, a fixed set of
  // formats and HTTP statuses, so the map stays small.
  readonly #feedRequestChildren = new Map<string, { inc(): void }>()

  observeFeedRequest(knoc: string, format: string, status: number): void {
    const key = `${knoc} ${format} ${status}`
    let child = this.#feedRequestChildren.get(key)
    if (child === undefined) {
      child = this.#feedRequests.labels({ knoc, format, status: String(status) })
      this.#feedRequestChildren.set(key, child)
    }
    child.inc()
  }

  observeFeedRender(knoc: string, format: string, seconds: number): void {
    this.#feedRender.observe({ knoc, format }, seconds)
  }
}
