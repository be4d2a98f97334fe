import { EventEmitter } from 'node:events'
import type { Clock } from '../../clock.js'
import { isRouterError, RouterError } from '../errors.js'
import type { RouterClient } from '../rest/index.js'
import type { RouterStatus } from './router-sync.js'
import { initialRouterStatus, noteRouterFailure, noteRouterSuccess, retryDelayMs } from './status.js'

export interface RouterNudgerEvents {
  nudged: [event: { latencyMs: number }]
  failed: [error: RouterError]
}

export interface RouterNudgerOptions {
  client: RouterClient
  clock: Clock
  // The importer's /system script name on the router.
  script: string
  // Quiet time after the last change before the nudge, so a burst of grants
  // causes one importer run.
  debounceMs: number
  // Maximum wait of a change for its nudge while changes keep coming.
  maxWaitMs: number
  retry?: { baseMs: number; maxMs: number }
}

// Asks a passive-plus router to run its importer now, through the REST API,
// after each burst of changes. A failed nudge is retried with backoff. The
// router's own poll scheduler runs in any case.
export class RouterNudger extends EventEmitter<RouterNudgerEvents> {
  readonly name: string
  readonly #options: RouterNudgerOptions
  readonly #clock: Clock
  #timer: unknown
  #firstChangeAt: number | undefined
  #running = false
  #again = false
  #failures = 0
  #closed = false
  readonly #status: RouterStatus

  constructor(name: string, options: RouterNudgerOptions) {
    super()
    this.name = name
    this.#options = options
    this.#clock = options.clock
    this.#status = initialRouterStatus(name)
  }

  status(): RouterStatus {
    return { ...this.#status, queueLength: this.#firstChangeAt === undefined ? 0 : 1 }
  }

  // Notes a change; the nudge follows after debounceMs of quiet, or maxWaitMs
  // after the first change of the burst at the latest.
  poke(): void {
    if (this.#closed) return
    const now = this.#clock.now()
    this.#firstChangeAt ??= now
    if (this.#running) {
      this.#again = true
      return
    }
    const delay = Math.max(0, Math.min(this.#options.debounceMs, this.#firstChangeAt + this.#options.maxWaitMs - now))
    this.#schedule(delay)
  }

  // Runs the importer at once, for POST /v1/knocs/{knoc}/sync, and returns
  // the error when the router rejected it. A nudge still owed for earlier
  // changes stays scheduled.
  async runNow(): Promise<RouterError | undefined> {
    try {
      await this.#options.client.runScript(this.#options.script)
      this.#recordSuccess()
      return undefined
    } catch (error) {
      return this.#recordFailure(error)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    await this.#options.client.close()
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      void this.#nudge()
    }, delayMs)
  }

  #recordSuccess(): void {
    noteRouterSuccess(this.#status, this.#clock.now())
  }

  // Records a failed importer run in the status and emits it.
  #recordFailure(error: unknown): RouterError {
    const routerError = isRouterError(error)
      ? error
      : new RouterError({ code: 208011, router: this.name, method: 'POST', path: '/rest/system/script/run', hint: (error as Error).message, cause: error })
    noteRouterFailure(this.#status, routerError, this.#clock.now())
    this.emit('failed', routerError)
    return routerError
  }

  async #nudge(): Promise<void> {
    if (this.#closed || this.#firstChangeAt === undefined) return
    const firstChangeAt = this.#firstChangeAt
    this.#firstChangeAt = undefined
    this.#running = true
    try {
      await this.#options.client.runScript(this.#options.script)
      this.#failures = 0
      this.#recordSuccess()
      this.emit('nudged', { latencyMs: this.#clock.now() - firstChangeAt })
    } catch (error) {
      this.#recordFailure(error)
      this.#failures++
      // The nudge is still owed, so it is retried with backoff.
      this.#firstChangeAt ??= firstChangeAt
      this.#schedule(retryDelayMs(this.#failures, this.#options.retry))
    } finally {
      this.#running = false
    }
    if (this.#again && !this.#closed) {
      this.#again = false
      this.poke()
    }
  }
}
