import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { z } from 'zod'
import { DurationError, parseDuration } from '../duration.js'

// Built-in defaults, in one place with their units.
export const defaults = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  ttlDefault: '1h',
  ttlMax: '1d',
  feedUsername: 'feed',
  pollInterval: '1m',
  // How often every router of an active or passive-plus knoc is read back and repaired.
  reconcileInterval: '5m',
  // How long audit records are kept before background pruning deletes them.
  auditRetention: '90d',
  // Upper bound of a request body in bytes; grants and knoc definitions are small.
  bodyLimitBytes: 64 * 1024,
  // Failed logins a client may make per window before it gets 429.
  authFailuresMax: 10,
  authFailuresWindow: '1m',
} as const

export const knocNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/
const routerNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

// Parses a duration in a zod transform, turning a bad one into an issue.
function parseDurationOrIssue(value: string | number, context: z.RefinementCtx): number {
  try {
    return parseDuration(value)
  } catch (error) {
    if (!(error instanceof DurationError)) throw error
    context.addIssue({ code: 'custom', message: error.message })
    return z.NEVER
  }
}

// Durations are accepted as "8h", "1h30m" or whole seconds and kept in seconds.
const duration = z.union([z.string(), z.number()]).transform(parseDurationOrIssue)

function isCidrOrAddress(text: string): boolean {
  if (isIP(text) !== 0) return true
  try {
    ipaddr.parseCIDR(text)
    return true
  } catch {
    return false
  }
}

const cidr = z.string().refine(isCidrOrAddress, {
  message: 'must be an IP address or a CIDR network such as 192.0.2.0/24 or 2001:db8::/32',
})

// A SHA-256 fingerprint in hex, with or without colons, stored as 64 lower-case digits.
const fingerprint = z
  .string()
  .transform((value) => value.replaceAll(':', '').trim().toLowerCase())
  .refine((value) => /^[0-9a-f]{64}$/.test(value), {
    message: 'must be the SHA-256 fingerprint of the router certificate: 64 hex digits, colons optional (openssl x509 -noout -fingerprint -sha256)',
  })

// Text that ends up in a RouterOS list, comment or script: printable, no control characters.
const printable = (label: string, max: number) =>
  z
    .string()
    .min(1, { message: `${label} must not be empty` })
    .max(max, { message: `${label} must be at most ${max} characters` })
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { message: `${label} must not contain control characters` })

const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value)
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === ''
    } catch {
      return false
    }
  },
  { message: 'must be an http:// or https:// URL without credentials, such as https://192.0.2.1 or https://192.0.2.1:8443' },
)

// A router's base URL: scheme, host and port only, because the REST client
// appends /rest/... itself. A path such as /rest would be sent twice.
const routerUrl = httpUrl.refine(
  (value) => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return true // reported by httpUrl
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return true
    return /^https?:\/\/[^/]/i.test(value) && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === ''
  },
  { message: 'must be the router address only, without a path or query, such as https://192.0.2.1 or https://192.0.2.1:8443; knocklist adds /rest itself' },
)

// Whether two router URLs name the same address: the scheme, host and port,
// so case, a trailing slash and a written default port do not count.
export function sameRouterUrl(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin
  } catch {
    return a === b
  }
}

export const routerSchema = z.strictObject({
  name: z.string().regex(routerNamePattern, {
    message: 'must be 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  }),
  url: routerUrl,
  username: printable('username', 128),
  password: z.string().min(1, { message: 'must not be empty; set the password of the RouterOS user' }),
  insecure: z.boolean().default(false),
  // Path of a PEM file with the CA that signed the router certificate.
  ca: z.string().min(1).optional(),
  fingerprint: fingerprint.optional(),
})

export const knocSchema = z
  .strictObject({
    name: z.string().regex(knocNamePattern, {
      message: 'must be 1 to 63 lower-case letters, digits or dashes, starting with a letter or digit',
    }),
    mode: z.enum(['active', 'passive', 'passive-plus']).default('passive'),
    ttl: z
      .strictObject({
        default: duration.default(parseDuration(defaults.ttlDefault)),
        max: duration.default(parseDuration(defaults.ttlMax)),
      })
      .default({ default: parseDuration(defaults.ttlDefault), max: parseDuration(defaults.ttlMax) })
      .refine((ttl) => ttl.default <= ttl.max, { message: 'ttl.default must not be longer than ttl.max; shorten the default or raise the maximum' }),
    addressList: printable('addressList', 63).optional(),
    prefix: z
      .strictObject({
        ipv4: z.int().min(1, { message: 'must be from 1 to 32; 0 would allow every address' }).max(32).default(32),
        ipv6: z.int().min(1, { message: 'must be from 1 to 128; 0 would allow every address' }).max(128).default(128),
      })
      .default({ ipv4: 32, ipv6: 128 }),
    feed: z
      .strictObject({
        username: printable('feed.username', 64).refine((value) => !value.includes(':'), { message: 'must not contain ":" (HTTP Basic auth splits on it)' }).default(defaults.feedUsername),
        // Without a password the feed uses the password generated on first start.
        password: z.string().min(8, { message: 'must be at least 8 characters' }).optional(),
        allowFrom: z.array(cidr).default([]),
        pollInterval: duration.default(parseDuration(defaults.pollInterval)),
        // Whether the RouterOS importer checks knocklist's HTTPS certificate
        // (check-certificate=yes-without-crl). Turn off only for a test setup.
        checkCertificate: z.boolean().default(true),
      })
      .default({ username: defaults.feedUsername, allowFrom: [], pollInterval: parseDuration(defaults.pollInterval), checkCertificate: true }),
    routers: z.array(routerSchema).default([]),
  })
  .superRefine((knoc, context) => {
    if (knoc.mode !== 'passive' && knoc.routers.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['routers'],
        message: `mode ${knoc.mode} needs at least one router; add one under routers or use mode passive`,
      })
    }
    const seen = new Set<string>()
    knoc.routers.forEach((router, index) => {
      if (seen.has(router.name)) {
        context.addIssue({ code: 'custom', path: ['routers', index, 'name'], message: `router name ${JSON.stringify(router.name)} is used twice in this knoc; give each router its own name` })
      }
      seen.add(router.name)
    })
  })
  .transform((knoc) => ({ ...knoc, addressList: knoc.addressList ?? `knocklist-${knoc.name}` }))

const defaultAuthFailures = { max: defaults.authFailuresMax, window: parseDuration(defaults.authFailuresWindow) }

const authFailuresSchema = z
  .strictObject({
    max: z.int().min(1).max(1_000_000).default(defaults.authFailuresMax),
    window: z
      .union([z.string(), z.number()])
      .transform((value, context) => {
        // Checked here rather than with min and max, so the message quotes the value as written.
        const seconds = parseDurationOrIssue(value, context)
        if (seconds !== z.NEVER && (seconds < 1 || seconds > 86_400)) {
          context.addIssue({ code: 'custom', message: `must be from 1s to 1d (got ${JSON.stringify(value)})` })
          return z.NEVER
        }
        return seconds
      })
      .default(parseDuration(defaults.authFailuresWindow)),
  })
  .default(defaultAuthFailures)

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().min(1).default(defaults.host),
        port: z.int().min(0).max(65535).default(defaults.port),
        publicUrl: httpUrl.optional(),
        tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
        trustProxy: z.union([z.boolean(), z.array(cidr)]).default(false),
        bodyLimit: z.int().min(1024).max(16 * 1024 * 1024).default(defaults.bodyLimitBytes),
        // Sites with many clients behind one NAT address raise these.
        authFailures: authFailuresSchema,
      })
      .default({ host: defaults.host, port: defaults.port, trustProxy: false, bodyLimit: defaults.bodyLimitBytes, authFailures: defaultAuthFailures }),
    dataDir: z.string().min(1).default(defaults.dataDir),
    adminTokens: z
      .array(
        z
          .strictObject({
            name: printable('adminTokens[].name', 64),
            token: z.string().min(16, { message: 'must be at least 16 characters; generate one with: openssl rand -hex 32' }).optional(),
            // The SHA-256 of the token, so the config file need not contain the token itself.
            tokenHash: z
              .string()
              .regex(/^sha256:[0-9a-fA-F]{64}$/, { message: 'must be "sha256:" and 64 hex digits; compute it with: printf %s "$TOKEN" | sha256sum' })
              .transform((value) => value.toLowerCase())
              .optional(),
          })
          .refine((entry) => (entry.token === undefined) !== (entry.tokenHash === undefined), {
            message: 'give exactly one of token and tokenHash',
          }),
      )
      .default([]),
    reconcileInterval: duration.default(parseDuration(defaults.reconcileInterval)),
    audit: z
      .strictObject({
        retention: duration.default(parseDuration(defaults.auditRetention)),
        // Also write each record as a structured log line, for a SIEM.
        log: z.boolean().default(false),
      })
      .default({ retention: parseDuration(defaults.auditRetention), log: false }),
    metrics: z
      .strictObject({
        enabled: z.boolean().default(true),
        // Serve /metrics on its own address instead of the main listener.
        listen: z.strictObject({ host: z.string().min(1), port: z.int().min(0).max(65535) }).optional(),
        // Require "Authorization: Bearer <token>" on /metrics.
        token: z.string().min(16, { message: 'must be at least 16 characters; generate one with: openssl rand -hex 32' }).optional(),
      })
      .default({ enabled: true }),
    knocs: z.array(knocSchema).optional(),
  })
// Knoc and admin token names must be unique too. The loader checks that on
// the raw input (duplicateNameProblems), so duplicates are listed together
// with every other problem.

export type Config = z.output<typeof configSchema>
export type KnocDefinition = z.output<typeof knocSchema>
export type RouterDefinition = z.output<typeof routerSchema>
export type KnocInput = z.input<typeof knocSchema>
