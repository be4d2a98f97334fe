// Durations as users write them: `90s`, `15m`, `8h`, `1d`, `1w`, `1h30m`, or a
// number of seconds.

const unitSeconds: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 }
const durationPattern = /^(?:\d+[wdhms])+$/

// The maximum duration, in seconds: 100 years. A longer one could put an
// expiry past the largest JavaScript Date (8.64e15 ms after 1970). Such a
// grant was stored, but every reply about it failed with 500.
export const maxDurationSeconds = 100 * 365 * 86_400

export class DurationError extends Error {
  constructor(readonly input: unknown) {
    super(`invalid duration ${JSON.stringify(input)}: use a number of seconds or a string such as "90s", "15m", "8h", "1d" or "1h30m", at most 100 years`)
    this.name = 'DurationError'
  }
}

// Parses a duration into whole seconds. Raises DurationError for anything
// else, including zero, negative and fractional values.
export function parseDuration(input: unknown): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input <= 0 || input > maxDurationSeconds) throw new DurationError(input)
    return input
  }
  if (typeof input !== 'string') throw new DurationError(input)

  const text = input.trim().toLowerCase()
  if (/^\d+$/.test(text)) return parseDuration(Number(text))
  if (!durationPattern.test(text)) throw new DurationError(input)

  let seconds = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)([wdhms])/g)) {
    seconds += Number(amount) * unitSeconds[unit as string]!
  }
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > maxDurationSeconds) throw new DurationError(input)
  return seconds
}

// Formats whole seconds in the same notation, largest units first (`1h30m`).
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds))
  if (rest === 0) return '0s'
  let text = ''
  for (const [unit, size] of Object.entries(unitSeconds)) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return text
}
