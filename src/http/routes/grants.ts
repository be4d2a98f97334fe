import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { FastifyInstance } from 'fastify'
import type { GrantRecord } from '../../store/grant-store.js'
import type { AppContext } from '../context.js'
import { errorReply, grantBody, grantParams, grantReply, knocParams } from '../schemas.js'

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

export async function grantRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>()

  routes.post('/v1/knocs/:knoc/grants', {
    schema: {
      summary: 'Grant an address access to a knoc',
      tags: ['grants'],
      params: knocParams,
      body: grantBody,
      response: { 201: grantReply, 400: errorReply, 404: errorReply },
    },
  }, async (request, reply) => {
    context.knocs.require(request.params.knoc)
    const grant = await context.grants.grant(request.params.knoc, request.body, request.actor ?? null, request.ip)
    request.log.info({ knoc: grant.knoc, grantId: grant.id, address: grant.address, actor: request.actor }, 'grant created')
    return reply.code(201).send(describeGrant(grant))
  })

  routes.get('/v1/knocs/:knoc/grants', {
    schema: { summary: 'List the active grants of a knoc', tags: ['grants'], params: knocParams, response: { 200: z.object({ grants: z.array(grantReply) }) } },
  }, async (request) => {
    context.knocs.require(request.params.knoc)
    return { grants: context.grants.activeGrants(request.params.knoc).map(describeGrant) }
  })

  routes.delete('/v1/grants/:id', {
    schema: { summary: 'Revoke a grant', tags: ['grants'], params: grantParams, response: { 204: z.null().describe('Revoked'), 404: errorReply } },
  }, async (request, reply) => {
    const grant = context.grants.revoke(request.params.id, request.actor ?? null, request.ip)
    request.log.info({ knoc: grant.knoc, grantId: grant.id, address: grant.address, actor: request.actor }, 'grant revoked')
    return reply.code(204).send(null)
  })
}
