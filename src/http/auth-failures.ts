import type { FastifyReply, FastifyRequest } from 'fastify'
import ipaddr from 'ipaddr.js'
import { LRUCache } from 'lru-cache'
import type { Clock } from '../clock.js'
import { defaults, type Config } from '../config/schema.js'
import { parseDuration } from '../duration.js'
import { KnocklistError } from '../errors.js'

export interface AuthFailureLimits {
  // Failed attempts allowed per client in one window; the next request is rejected with 429.
  maxFailures: number
  // Length of the window in milliseconds, counted from the first failure in it.
  windowMs: number
  // Clients tracked at once; the least recently seen are dropped beyond it.
  maxClients: number
}

// At the default of ten guesses a minute, finding a 24-byte token or an
// 8-character feed password takes years. A client with a stale password works
// again within one window of being fixed.
export const defaultAuthFailureLimits: AuthFailureLimits = {
  maxFailures: defaults.authFailuresMax,
  windowMs: parseDuration(defaults.authFailuresWindow) * 1000,
  maxClients: 10_000,
}

interface FailureWindow {
  startedAt: number
  failures: number
}

// The key failures are counted under: the IPv4 address, or the /64 of an
// IPv6 address, because one IPv6 client usually controls a whole /64.
function clientKey(address: string): string {
  // Node gives IPv4 clients as plain dotted quads; only IPv6 (including
  // IPv4-mapped) needs parsing, which keeps this off the feed hot path.
  if (!address.includes(':')) return address
  try {
    const parsed = ipaddr.process(address)
    if (parsed.kind() === 'ipv4') return parsed.toString()
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/64`).toRFC5952String()}/64`
  } catch {
    return address
  }
}

// Counts failed authentications per client address in a fixed window. Admin
// and feed routes share one limiter, so guesses against either count together.
export class AuthFailureLimiter {
  readonly #limits: AuthFailureLimits
  readonly #clock: Clock
  readonly #windows: LRUCache<string, FailureWindow>

  constructor(clock: Clock, limits: AuthFailureLimits = defaultAuthFailureLimits) {
    this.#limits = limits
    this.#clock = clock
    this.#windows = new LRUCache({ max: limits.maxClients })
  }

  // Raises KNL_AUTH_RATE_LIMITED with Retry-After when the client used up its
  // failures in the current window; called before credentials are checked.
  rejectIfLimited(request: FastifyRequest, reply: FastifyReply): void {
    if (this.#windows.size === 0) return
    const window = this.#current(clientKey(request.ip))
    if (window === undefined || window.failures < this.#limits.maxFailures) return
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.#limits.windowMs - this.#clock.now()) / 1000))
    reply.header('Retry-After', String(retryAfterSeconds))
    throw new KnocklistError(
      'KNL_AUTH_RATE_LIMITED',
      `too many failed authentication attempts from ${request.ip}; retry in ${retryAfterSeconds} s with the right credentials`,
    )
  }

  // Records one failed authentication and logs it, without the credentials.
  recordFailure(request: FastifyRequest, details: Record<string, unknown>): void {
    const key = clientKey(request.ip)
    const window = this.#current(key) ?? { startedAt: this.#clock.now(), failures: 0 }
    window.failures++
    this.#windows.set(key, window)
    request.log.warn({ ...details, clientAddress: request.ip, failures: window.failures }, 'authentication failed')
    if (window.failures === this.#limits.maxFailures) {
      request.log.warn({ clientAddress: request.ip, failures: window.failures, windowMs: this.#limits.windowMs }, 'authentication rate limit reached')
    }
  }

  #current(key: string): FailureWindow | undefined {
    const window = this.#windows.get(key)
    if (window === undefined) return undefined
    if (this.#clock.now() - window.startedAt >= this.#limits.windowMs) {
      this.#windows.delete(key)
      return undefined
    }
    return window
  }
}

const limiters = new WeakMap<object, AuthFailureLimiter>()

// Returns the limiter shared by every route built on one app context.
export function authFailureLimiter(context: { clock: Clock; config: Pick<Config, 'server'> }): AuthFailureLimiter {
  let limiter = limiters.get(context)
  if (limiter === undefined) {
    const { max, window } = context.config.server.authFailures
    limiter = new AuthFailureLimiter(context.clock, { ...defaultAuthFailureLimits, maxFailures: max, windowMs: window * 1000 })
    limiters.set(context, limiter)
  }
  return limiter
}
