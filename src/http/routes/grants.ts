import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { KnocklistError } from '../../errors.js'
import type { GrantRecord } from '../../store/grant-store.js'
import type { AppContext } from '../context.js'

const text = (field: string, max: number) =>
  z
    .string({ message: `${field} must be a string` })
    .max(max, { message: `${field} must be at most ${max} characters` })
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { message: `${field} must not contain control characters such as line breaks` })

const grantBody = z.strictObject({
  address: z.string({ message: 'address is required and must be a string such as "192.0.2.1"' }),
  ttl: z.union([z.string(), z.number()], { message: 'ttl must be seconds or a duration string such as "8h"' }).optional(),
  user: text('user', 128).nullable().optional(),
  comment: text('comment', 256).nullable().optional(),
})

export function describeGrant(grant: GrantRecord) {
  return {
    id: grant.id,
    knoc: grant.knoc,
    address: grant.address,
    user: grant.user,
    comment: grant.comment,
    createdAt: new Date(grant.createdAt).toISOString(),
    expiresAt: new Date(grant.expiresAt).toISOString(),
  }
}

// Validates a JSON body against a zod schema, naming the bad or unknown field.
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new KnocklistError('KNL_REQUEST_INVALID', 'the request body must be a JSON object')
  }
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') {
    throw new KnocklistError('KNL_REQUEST_UNKNOWN_FIELD', `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`)
  }
  throw new KnocklistError('KNL_REQUEST_INVALID', issue.message)
}

export async function grantRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.post<{ Params: { knoc: string } }>('/v1/knocs/:knoc/grants', async (request, reply) => {
    context.knocs.require(request.params.knoc)
    const body = parseBody(grantBody, request.body)
    const grant = context.grants.grant(request.params.knoc, body, request.actor ?? null)
    request.log.info({ knoc: grant.knoc, grantId: grant.id, address: grant.address, actor: request.actor }, 'grant created')
    return reply.code(201).send(describeGrant(grant))
  })

  app.get<{ Params: { knoc: string } }>('/v1/knocs/:knoc/grants', async (request) => {
    context.knocs.require(request.params.knoc)
    return { grants: context.grants.activeGrants(request.params.knoc).map(describeGrant) }
  })

  app.delete<{ Params: { id: string } }>('/v1/grants/:id', async (request, reply) => {
    const grant = context.grants.revoke(request.params.id)
    request.log.info({ knoc: grant.knoc, grantId: grant.id, address: grant.address, actor: request.actor }, 'grant revoked')
    return reply.code(204).send()
  })
}
