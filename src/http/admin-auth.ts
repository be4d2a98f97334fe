import type { FastifyReply, FastifyRequest } from 'fastify'
import { KnocklistError } from '../errors.js'
import type { AdminTokens } from '../secrets.js'
import type { AuthFailureLimiter } from './auth-failures.js'

declare module 'fastify' {
  interface FastifyRequest {
    // The name of the admin token that authenticated the request.
    actor?: string
  }
}

// Checks `Authorization: Bearer <token>` against the admin tokens. A client
// with too many recent failures gets 429 before its token is looked at.
export function adminAuthHook(tokens: AdminTokens, failures: AuthFailureLimiter) {
  return async function authenticateAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    failures.rejectIfLimited(request, reply)
    const header = request.headers.authorization
    const match = header === undefined ? undefined : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
    if (match === undefined || match === null) {
      reply.header('WWW-Authenticate', 'Bearer realm="knocklist"')
      throw new KnocklistError('KNL_AUTH_MISSING', 'this route needs an admin token: send "Authorization: Bearer <token>" (the token is in the data folder file admin-token or in the config)')
    }
    let name: string | undefined
    try {
      name = tokens.verify(match[1]!)
    } catch (error) {
      // Tokens made with `knocklist token create` live in the store; when it
      // cannot be read, the request can be retried but not decided.
      request.log.error({ err: error }, 'admin token lookup in the store failed')
      throw new KnocklistError('KNL_STORE_UNAVAILABLE', 'the admin token could not be checked because the store could not be read; retry, and check the data folder if it persists', { cause: error })
    }
    if (name === undefined) {
      reply.header('WWW-Authenticate', 'Bearer realm="knocklist", error="invalid_token"')
      failures.recordFailure(request, { route: 'admin' })
      throw new KnocklistError('KNL_AUTH_INVALID', 'the admin token is invalid; check KNOCKLIST_TOKEN or the admin-token file')
    }
    request.actor = name
  }
}
