import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { adminAuthHook } from './admin-auth.js'
import type { AppContext } from './context.js'
import { registerErrorHandlers } from './errors.js'
import { feedRoutes } from './routes/feeds.js'
import { grantRoutes } from './routes/grants.js'
import { healthRoutes } from './routes/health.js'
import { knocRoutes } from './routes/knocs.js'
import { uiRoutes } from './routes/ui.js'

// Paths redacted from every log line, so a secret in a header or a logged
// object never reaches the log.
export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.feedPassword',
  '*.adminToken',
]

export interface BuildAppOptions {
  // A pino logger; without one the app does not log.
  logger?: FastifyBaseLogger
  https?: { cert: Buffer; key: Buffer }
}

// Builds the HTTP application without listening, so tests can use inject or
// bind port 0 themselves.
export async function buildApp(context: AppContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    trustProxy: context.config.server.trustProxy as boolean | string[],
    bodyLimit: context.config.server.bodyLimit,
    // Long URLs and headers are rejected by Node before routing.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    ...(options.https ? { https: options.https } : {}),
  } as FastifyServerOptions)

  registerErrorHandlers(app)
  await app.register(healthRoutes, context)
  await app.register(feedRoutes, context)
  await app.register(uiRoutes, context)
  await app.register(async (admin) => {
    admin.addHook('onRequest', adminAuthHook(context.adminTokens))
    await admin.register(grantRoutes, context)
    await admin.register(knocRoutes, context)
  })
  return app
}
