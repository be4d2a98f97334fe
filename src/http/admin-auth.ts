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
    const name = tokens.verify(match[1]!)
    if (name === undefined) {
      reply.header('WWW-Authenticate', 'Bearer realm="knocklist", error="invalid_token"')
      failures.recordFailure(request, { route: 'admin' })
      throw new KnocklistError('KNL_AUTH_INVALID', 'the admin token is invalid; check KNOCKLIST_TOKEN or the admin-token file')
    }
    request.actor = name
  }
}
