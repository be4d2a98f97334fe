import type { FastifyInstance } from 'fastify'
import { KnocklistError } from '../../errors.js'
import { secretsEqual } from '../../secrets.js'
import type { AppContext } from '../context.js'

// GET /metrics in the Prometheus text format, behind a bearer token when
// metrics.token is set.
export async function metricsRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const token = context.config.metrics.token
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'] } }, async (request, reply) => {
    if (token !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
      if (match === null || !secretsEqual(match[1]!, token)) {
        reply.header('WWW-Authenticate', 'Bearer realm="knocklist metrics"')
        throw new KnocklistError(match === null ? 'KNL_AUTH_MISSING' : 'KNL_AUTH_INVALID', 'this route needs the metrics token: send "Authorization: Bearer <metrics.token>"')
      }
    }
    const body = await context.metrics.registry.metrics()
    return reply.header('Content-Type', context.metrics.registry.contentType).header('Cache-Control', 'no-cache').send(body)
  })
}
