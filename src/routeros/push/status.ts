// The per-router status that GET /v1/knocs/{knoc} shows, and the retry
// backoff, shared by the active-mode sync and the passive-plus nudger.
import type { RouterError } from '../errors.js'
import type { RouterStatus } from './router-sync.js'

export const defaultRetry = { baseMs: 500, maxMs: 60_000 }

export function initialRouterStatus(name: string): RouterStatus {
  return {
    name,
    connected: undefined,
    lastSuccessAt: undefined,
    lastErrorCode: undefined,
    lastErrorMessage: undefined,
    lastErrorAt: undefined,
    lastErrorDocs: undefined,
    queueLength: 0,
    lastReconcileAt: undefined,
    lastReconcile: undefined,
  }
}

export function noteRouterSuccess(status: RouterStatus, now: number): void {
  status.connected = true
  status.lastSuccessAt = new Date(now).toISOString()
}

export function noteRouterFailure(status: RouterStatus, error: RouterError, now: number): void {
  status.connected = false
  status.lastErrorCode = error.code
  status.lastErrorMessage = error.message
  status.lastErrorDocs = error.docs
  status.lastErrorAt = new Date(now).toISOString()
}

// Exponential backoff with full jitter after `failures` failures in a row,
// so many routers that failed together do not retry in step.
export function retryDelayMs(failures: number, retry: { baseMs: number; maxMs: number } = defaultRetry): number {
  const ceiling = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(failures - 1, 20))
  return Math.max(retry.baseMs / 2, Math.random() * ceiling)
}
