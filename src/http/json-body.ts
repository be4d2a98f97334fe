import type { FastifyInstance, FastifyRequest } from 'fastify'
import { KnocklistError } from '../errors.js'

// The maximum nesting of objects and arrays in a JSON body. Grant and knoc
// bodies nest three levels at most. The limit stops a body such as 100,000
// `[` from making JSON.parse or a validator recurse that deep.
export const maxJsonDepth = 32

// Returns the deepest nesting of objects and arrays in a JSON text, stopping
// as soon as it passes `limit`. Brackets inside strings do not count. The text
// need not be valid JSON: JSON.parse checks that afterwards.
export function jsonNestingDepth(text: string, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index)
    if (inString) {
      if (char === 0x5c) index++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
      continue
    }
    if (char === 0x22) {
      inString = true
    } else if (char === 0x7b || char === 0x5b) {
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > limit) return deepest
    } else if (char === 0x7d || char === 0x5d) {
      depth--
    }
  }
  return deepest
}

// Rejects `__proto__` keys and `constructor.prototype`, as Fastify's own JSON
// parser does, so a body cannot change an object's prototype when code copies
// it with Object.assign.
function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new KnocklistError('KNL_REQUEST_INVALID', 'the request body has a "__proto__" key; remove it')
  if (key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype')) {
    throw new KnocklistError('KNL_REQUEST_INVALID', 'the request body has a "constructor.prototype" key; remove it')
  }
  return value
}

// Replaces Fastify's application/json parser with one that checks the nesting
// depth before parsing. The body size is still capped by server.bodyLimit.
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      done(new KnocklistError('KNL_REQUEST_MALFORMED_JSON', 'the request has Content-Type: application/json but an empty body; send a JSON object'))
      return
    }
    if (jsonNestingDepth(text, maxJsonDepth) > maxJsonDepth) {
      done(new KnocklistError('KNL_REQUEST_INVALID', `the request body nests objects or arrays deeper than ${maxJsonDepth} levels; send a flat JSON object`))
      return
    }
    try {
      done(null, JSON.parse(text, rejectPrototypeKeys))
    } catch (error) {
      if (error instanceof KnocklistError) {
        done(error)
        return
      }
      done(new KnocklistError('KNL_REQUEST_MALFORMED_JSON', `the request body is not valid JSON (${(error as Error).message}); check quotes and commas`))
    }
  })
}
