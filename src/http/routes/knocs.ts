import type { FastifyInstance } from 'fastify'
import { formatDuration } from '../../duration.js'
import type { Knoc } from '../../knocs/registry.js'
import { routerConnection } from '../../routeros/push/manager.js'
import { validateRouter } from '../../routeros/validate.js'
import type { AppContext } from '../context.js'
import { knocParams } from '../schemas.js'

// A knoc as the admin API shows it: every setting except secrets.
export function describeKnoc(knoc: Knoc, context: AppContext) {
  const snapshot = context.grants.snapshot(knoc.name)
  const routerStatus = new Map(context.routers.status(knoc.name).map((status) => [status.name, { sync: status }]))
  return {
    name: knoc.name,
    source: knoc.source,
    mode: knoc.mode,
    addressList: knoc.addressList,
    ttl: { default: formatDuration(knoc.ttl.default), max: formatDuration(knoc.ttl.max) },
    prefix: knoc.prefix,
    feed: {
      username: knoc.feed.username,
      allowFrom: knoc.feed.allowFrom,
      pollInterval: formatDuration(knoc.feed.pollInterval),
      passwordSource: knoc.feed.password === undefined ? 'generated' : 'knoc',
    },
    version: snapshot.version,
    activeGrants: context.grants.activeGrantCount(knoc.name),
    addresses: snapshot.entries.length,
    routers: knoc.routers.map((router) => ({
      ...routerStatus.get(router.name),
      name: router.name,
      url: router.url,
      username: router.username,
      insecure: router.insecure,
      ...(router.ca === undefined ? {} : { ca: router.ca }),
      ...(router.fingerprint === undefined ? {} : { fingerprint: router.fingerprint }),
    })),
  }
}

export async function knocRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/v1/knocs', { schema: { summary: 'List knocs with their routers and sync status', tags: ['knocs'] } }, async () => ({ knocs: context.knocs.all().map((knoc) => describeKnoc(knoc, context)) }))

  app.get<{ Params: { knoc: string } }>('/v1/knocs/:knoc', { schema: { summary: 'Show one knoc with its routers and sync status', tags: ['knocs'], params: knocParams } }, async (request) => describeKnoc(context.knocs.require(request.params.knoc), context))

  app.put<{ Params: { knoc: string } }>('/v1/knocs/:knoc', {
    schema: {
      summary: 'Create or replace a knoc kept in the store (the same fields as a knoc in the config file)',
      description:
        "A router sent without a password keeps the stored one, as long as the router's name, url, username, insecure, ca and fingerprint are unchanged.",
      tags: ['knocs'],
      params: knocParams,
    },
  }, async (request, reply) => {
    const { knoc, created } = context.knocs.put(request.params.knoc, request.body)
    context.grants.touch(knoc.name)
    request.log.info({ knoc: knoc.name, mode: knoc.mode, created, actor: request.actor }, created ? 'knoc created' : 'knoc updated')
    context.audit.record({ action: created ? 'knoc.created' : 'knoc.updated', actor: request.actor ?? null, knoc: knoc.name, clientAddress: request.ip, detail: { mode: knoc.mode } })
    return reply.code(created ? 201 : 200).send(describeKnoc(knoc, context))
  })

  app.post<{ Params: { knoc: string } }>('/v1/knocs/:knoc/sync', { schema: { summary: 'Reconcile every router of an active knoc now, or run the importer of a passive-plus knoc', tags: ['routers'], params: knocParams } }, async (request) => {
    const knoc = context.knocs.require(request.params.knoc)
    const routers = await context.routers.sync(knoc.name)
    request.log.info({ knoc: knoc.name, routers: routers.map((router) => ({ name: router.name, ok: router.ok, code: router.code })) }, 'sync requested')
    return { knoc: knoc.name, routers }
  })

  app.post<{ Params: { knoc: string } }>('/v1/knocs/:knoc/validate', { schema: { summary: 'Check the connection to every router of the knoc', tags: ['routers'], params: knocParams } }, async (request) => {
    const knoc = context.knocs.require(request.params.knoc)
    const routers = await Promise.all(
      knoc.routers.map(async (router) => {
        let connection
        try {
          connection = routerConnection(router)
        } catch (error) {
          // The CA file went missing or changed after the knoc was saved.
          return { name: router.name, ok: false, message: (error as Error).message, checks: [] }
        }
        const result = await validateRouter(connection, knoc.addressList, context.routerClientOptions)
        const failed = result.checks.find((check) => !check.ok)
        return {
          name: router.name,
          ok: result.ok,
          ...(failed ? { code: failed.code, message: failed.message, docs: failed.docs } : {}),
          ...(result.fingerprint ? { fingerprint: result.fingerprint } : {}),
          checks: result.checks,
        }
      }),
    )
    return { routers }
  })

  app.delete<{ Params: { knoc: string } }>('/v1/knocs/:knoc', { schema: { summary: 'Delete a stored knoc and end its grants', tags: ['knocs'], params: knocParams } }, async (request, reply) => {
    const knoc = context.knocs.remove(request.params.knoc)
    const endedGrants = context.grants.endAll(knoc.name)
    request.log.info({ knoc: knoc.name, endedGrants, actor: request.actor }, 'knoc deleted')
    context.audit.record({ action: 'knoc.deleted', actor: request.actor ?? null, knoc: knoc.name, clientAddress: request.ip, detail: { endedGrants } })
    return reply.code(204).send()
  })
}
