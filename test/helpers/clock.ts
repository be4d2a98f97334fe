import type { Clock } from '../../src/clock.js'

// A clock that moves only when a test calls advance(), firing due timers in
// order, so expiry tests never sleep.
export class ManualClock implements Clock {
  #now: number
  #nextHandle = 1
  readonly #timers = new Map<number, { at: number; callback: () => void }>()

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const handle = this.#nextHandle++
    this.#timers.set(handle, { at: this.#now + Math.max(0, delayMs), callback })
    return handle
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  get pendingTimers(): number {
    return this.#timers.size
  }

  // Moves time forward, running each timer that falls due at its own instant.
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry
      }
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#now = Math.max(this.#now, next[1].at)
      next[1].callback()
    }
    this.#now = target
  }
}
