import type { FastifyInstance } from 'fastify'
import { errorBody } from '../errors.js'
import type { AppContext } from '../context.js'

// Routers whose last request failed. They are reported by /readyz but do not
// make it fail: knocklist still takes grants and retries them in the background.
function unreachableRouters(context: AppContext) {
  return context.routers.knocNames().flatMap((knoc) =>
    context.routers
      .status(knoc)
      .filter((status) => status.connected === false)
      .map((status) => ({ knoc, router: status.name, code: status.lastErrorCode, since: status.lastErrorAt })),
  )
}

export async function healthRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Liveness: the process is up', tags: ['health'] } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { summary: 'Readiness: the store is writable; lists unreachable routers without failing', tags: ['health'] } }, async (_request, reply) => {
    if (!context.storeWritable()) {
      return reply.code(503).send({
        ...errorBody('KNL_NOT_READY', 'the store is not writable; check free space and permissions of the data folder'),
        unreachableRouters: unreachableRouters(context),
      })
    }
    return { status: 'ready', knocs: context.knocs.all().length, unreachableRouters: unreachableRouters(context) }
  })
}
