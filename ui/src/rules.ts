// Field checks that mirror the knoc rules of src/config/schema.ts, so a
// mistake shows next to its field while the user types. The server checks
// everything again and its message is shown when it disagrees.
import { DurationError, parseDuration } from '../../src/duration.js'

/** Returns the reason a value is invalid, or undefined when it is valid. */
export type Rule = (value: string) => string | undefined

export const knocNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/
const routerNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
const controlCharacters = /[\u0000-\u001f\u007f]/

export const knocName: Rule = (value) => {
  if (value === '') return 'Enter a name.'
  if (value.length > 63) return 'Use at most 63 characters.'
  if (!knocNamePattern.test(value)) return 'Use lower-case letters, digits and dashes, starting with a letter or digit.'
  return undefined
}

export const routerName: Rule = (value) => {
  if (value === '') return 'Enter a name for the router.'
  if (!routerNamePattern.test(value)) return 'Use 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit.'
  return undefined
}

export const routerUrl: Rule = (value) => {
  if (value === '') return 'Enter the URL of the router, such as https://192.0.2.1.'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    const port = /^https?:\/\/[^/:]+:(\d+)/i.exec(value)?.[1]
    return port !== undefined && Number(port) > 65535 ? 'The port must be from 1 to 65535.' : 'Enter a full URL starting with https:// or http://.'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The URL must start with https:// or http://.'
  if (url.username !== '' || url.password !== '') return 'Leave the user name and password out of the URL; use the fields below.'
  if (!/^https?:\/\/[^/]/i.test(value) || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return 'Enter the router address only, such as https://192.0.2.1 or https://192.0.2.1:8443, without a path; knocklist adds /rest itself.'
  }
  return undefined
}

/** Returns a warning for URLs that work but expose the password, or undefined. */
export function routerUrlWarning(value: string): string | undefined {
  return /^http:\/\//i.test(value.trim()) ? 'Plain http: the RouterOS password travels unencrypted. Use https unless the network path is trusted.' : undefined
}

export function printable(label: string, max: number, required = true): Rule {
  return (value) => {
    if (value === '') return required ? `Enter the ${label}.` : undefined
    if (value.length > max) return `Use at most ${max} characters.`
    if (controlCharacters.test(value)) return 'Remove control characters such as line breaks or tabs.'
    return undefined
  }
}

export const password: Rule = (value) => (value === '' ? 'Enter the password of the RouterOS user.' : undefined)

export const feedPassword: Rule = (value) => (value !== '' && value.length < 8 ? 'Use at least 8 characters, or leave it empty to use the generated feed password.' : undefined)

/** Parses a duration the way the server does, or returns undefined when it is invalid. */
export function durationSeconds(value: string): number | undefined {
  try {
    return parseDuration(value)
  } catch (error) {
    if (error instanceof DurationError) return undefined
    throw error
  }
}

export function duration(required: boolean): Rule {
  return (value) => {
    if (value.trim() === '') return required ? 'Enter a duration such as 15m, 8h or 1h30m.' : undefined
    return durationSeconds(value) === undefined ? 'Use seconds or a duration such as 90s, 15m, 8h, 1d or 1h30m.' : undefined
  }
}

/** Normalises a SHA-256 fingerprint the way the server stores it: 64 lower-case hex digits. */
export function normalizeFingerprint(value: string): string {
  return value.replaceAll(':', '').trim().toLowerCase()
}

export const fingerprint: Rule = (value) => {
  if (value.trim() === '') return 'Enter the SHA-256 fingerprint, or run Validate connection to see the router’s.'
  return /^[0-9a-f]{64}$/.test(normalizeFingerprint(value)) ? undefined : 'Use the SHA-256 fingerprint: 64 hex digits, colons optional.'
}

/** Formats a fingerprint as colon-separated byte pairs, the form most tools print. */
export function formatFingerprint(value: string): string {
  return normalizeFingerprint(value).match(/../g)?.join(':').toUpperCase() ?? value
}

const ipv4Octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const ipv4Pattern = new RegExp(`^${ipv4Octet}(\\.${ipv4Octet}){3}(/(3[0-2]|[12]?\\d))?$`)

function isIpv6(text: string): boolean {
  const [address = '', prefix, extra] = text.split('/')
  if (extra !== undefined || !address.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(address)) return false
  if (prefix !== undefined && !/^(12[0-8]|1[01]\d|[1-9]?\d)$/.test(prefix)) return false
  // The URL parser implements the full IPv6 text grammar.
  try {
    new URL(`http://[${address}]/`)
    return true
  } catch {
    return false
  }
}

// A rough check of addresses; the server decides on prefix limits and
// canonical form.
export const address: Rule = (value) => {
  const text = value.trim()
  if (text === '') return 'Enter an IPv4 or IPv6 address, or a network such as 192.0.2.0/24.'
  if (ipv4Pattern.test(text) || isIpv6(text)) return undefined
  return 'Enter an IPv4 address such as 192.0.2.1 (no leading zeros), an IPv6 address, or a network in CIDR form.'
}
