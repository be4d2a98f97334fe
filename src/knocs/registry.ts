import { EventEmitter } from 'node:events'
import path from 'node:path'
import { z } from 'zod'
import { caFileProblem } from '../config/ca-file.js'
import { knocNamePattern, knocSchema, routerSchema, sameRouterUrl, type KnocDefinition } from '../config/schema.js'
import { KnocklistError } from '../errors.js'
import type { KnocStore } from '../store/knoc-store.js'

export type KnocSource = 'config' | 'store'

export type Knoc = KnocDefinition & { readonly source: KnocSource }

export interface KnocRegistryEvents {
  changed: [knoc: Knoc, previous: Knoc | undefined]
  removed: [knoc: Knoc]
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length === 0 ? 'body' : issue.path.map(String).join('.')
      if (issue.code === 'unrecognized_keys') return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`
      return `${where}: ${issue.message}`
    })
    .join('; ')
}

// Validates a knoc definition from the admin API or the store.
// Rejects a stored knoc whose routers name a CA file that is not usable now,
// before anything is stored. A stored knoc has no config folder, so its CA
// paths must be absolute.
function checkCaFiles(definition: KnocDefinition): void {
  for (const router of definition.routers) {
    if (router.ca === undefined) continue
    if (!path.isAbsolute(router.ca)) {
      throw new KnocklistError('KNL_KNOC_INVALID', `router ${JSON.stringify(router.name)}: CA file ${JSON.stringify(router.ca)} is a relative path; give the absolute path on the knocklist server`)
    }
    const problem = caFileProblem(router.ca)
    if (problem !== undefined) throw new KnocklistError('KNL_KNOC_INVALID', `router ${JSON.stringify(router.name)}: ${problem}`)
  }
}

// Router settings that decide where its password is sent and whether the
// certificate there is checked. The stored password only goes where it went.
const connectionFields = ['url', 'username', 'insecure', 'ca', 'fingerprint'] as const

// Fills in the stored password of each router sent without one, so a client
// can change other settings without sending the password again. It is kept
// only while the router's connection settings are unchanged. Otherwise a new
// url, or a certificate check turned off or pinned to another certificate,
// would let the caller choose where the stored password goes.
function keepStoredPasswords(input: unknown, previous: Knoc | undefined): unknown {
  if (previous === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) return input
  const routers = (input as { routers?: unknown }).routers
  if (!Array.isArray(routers)) return input
  const filled = routers.map((router: unknown) => {
    if (router === null || typeof router !== 'object' || Array.isArray(router) || (router as { password?: unknown }).password !== undefined) return router
    const name = (router as { name?: unknown }).name
    const stored = previous.routers.find((candidate) => candidate.name === name)
    if (stored === undefined) {
      if (typeof name !== 'string') return router
      throw new KnocklistError('KNL_KNOC_INVALID', `router ${JSON.stringify(name)}: password missing; this knoc has no stored router of that name whose password could be kept, so send its password`)
    }
    // Parsed with a stand-in password so values compare in their stored form
    // (fingerprints without colons, insecure defaulting to false). An invalid
    // router is left for the full parse to report.
    const sent = routerSchema.safeParse({ ...router, password: 'stand-in' })
    if (!sent.success) return router
    const changed = connectionFields.filter((field) => (field === 'url' ? !sameRouterUrl(sent.data.url, stored.url) : sent.data[field] !== stored[field]))
    if (changed.length > 0) {
      throw new KnocklistError(
        'KNL_KNOC_INVALID',
        `router ${JSON.stringify(stored.name)}: password missing; the stored password is kept only while url, username and certificate settings stay the same, and ${changed.join(', ')} changed, so send the password`,
      )
    }
    return { ...router, password: stored.password }
  })
  return { ...input, routers: filled }
}

export function parseKnocDefinition(name: string, input: unknown): KnocDefinition {
  if (!knocNamePattern.test(name)) {
    throw new KnocklistError('KNL_KNOC_NAME_INVALID', `invalid knoc name ${JSON.stringify(name)}: use 1 to 63 lower-case letters, digits or dashes, starting with a letter or digit`)
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new KnocklistError('KNL_KNOC_INVALID', 'the knoc definition must be a JSON object such as {"mode": "passive"}')
  }
  const bodyName = (input as { name?: unknown }).name
  if (bodyName !== undefined && bodyName !== name) {
    throw new KnocklistError('KNL_KNOC_INVALID', `the body names knoc ${JSON.stringify(bodyName)} but the path names ${JSON.stringify(name)}; make them equal or leave "name" out of the body`)
  }
  const result = knocSchema.safeParse({ ...input, name })
  if (!result.success) {
    const unknownOnly = result.error.issues.every((issue) => issue.code === 'unrecognized_keys')
    throw new KnocklistError(unknownOnly ? 'KNL_REQUEST_UNKNOWN_FIELD' : 'KNL_KNOC_INVALID', `invalid knoc ${JSON.stringify(name)}: ${describeIssues(result.error)}`)
  }
  return result.data
}

// The knocs in force: those declared in the config file (read-only) and those
// created through the admin API and kept in the store.
export class KnocRegistry extends EventEmitter<KnocRegistryEvents> {
  readonly #knocs = new Map<string, Knoc>()
  readonly #store: KnocStore
  readonly #now: () => number

  constructor(configKnocs: readonly KnocDefinition[], store: KnocStore, now: () => number) {
    super()
    this.#store = store
    this.#now = now
    for (const knoc of configKnocs) this.#knocs.set(knoc.name, Object.freeze({ ...knoc, source: 'config' }))
    for (const stored of store.all()) {
      // A config knoc shadows a stored one of the same name; the stored one
      // comes back if the config file drops it.
      if (this.#knocs.has(stored.name)) continue
      this.#knocs.set(stored.name, Object.freeze({ ...parseKnocDefinition(stored.name, stored.definition), source: 'store' }))
    }
  }

  get(name: string): Knoc | undefined {
    return this.#knocs.get(name)
  }

  // Returns the knoc or raises KNL_KNOC_NOT_FOUND naming it.
  require(name: string): Knoc {
    const knoc = this.#knocs.get(name)
    if (knoc === undefined) {
      throw new KnocklistError('KNL_KNOC_NOT_FOUND', `knoc ${JSON.stringify(name)} not found; list the knocs with knocklist knocs or GET /v1/knocs`)
    }
    return knoc
  }

  all(): Knoc[] {
    return [...this.#knocs.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  // Creates or replaces a stored knoc; config knocs are read-only.
  put(name: string, input: unknown): { knoc: Knoc; created: boolean } {
    this.#rejectConfigKnoc(name)
    const definition = parseKnocDefinition(name, keepStoredPasswords(input, this.#knocs.get(name)))
    checkCaFiles(definition)
    const created = this.#store.put(name, definition, this.#now())
    const previous = this.#knocs.get(name)
    const knoc: Knoc = Object.freeze({ ...definition, source: 'store' })
    this.#knocs.set(name, knoc)
    this.emit('changed', knoc, previous)
    return { knoc, created }
  }

  remove(name: string): Knoc {
    this.#rejectConfigKnoc(name)
    const knoc = this.require(name)
    this.#store.remove(name)
    this.#knocs.delete(name)
    this.emit('removed', knoc)
    return knoc
  }

  #rejectConfigKnoc(name: string): void {
    if (this.#knocs.get(name)?.source === 'config') {
      throw new KnocklistError('KNL_KNOC_READ_ONLY', `knoc ${JSON.stringify(name)} comes from the config file (or, without one, the built-in defaults) and is read-only through the API; change the config and restart knocklist, or use another knoc name`)
    }
  }
}
