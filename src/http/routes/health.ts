import type { FastifyInstance } from 'fastify'
import { errorBody } from '../errors.js'
import type { AppContext } from '../context.js'

export async function healthRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    if (!context.storeWritable()) {
      return reply.code(503).send(errorBody('KNL_NOT_READY', 'the store is not writable; check free space and permissions of the data folder'))
    }
    return { status: 'ready', knocs: context.knocs.all().length }
  })
}
