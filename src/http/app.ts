import swagger from '@fastify/swagger'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { adminAuthHook } from './admin-auth.js'
import { authFailureLimiter } from './auth-failures.js'
import type { AppContext } from './context.js'
import { registerErrorHandlers } from './errors.js'
import { handleClientError, registerRequestLimits } from './request-limits.js'
import { observeFeedRequests } from './feed-observer.js'
import { auditRoutes } from './routes/audit.js'
import { metricsRoutes } from './routes/metrics.js'
import { routerOsRoutes } from './routes/routeros.js'
import { feedRoutes } from './routes/feeds.js'
import { grantRoutes } from './routes/grants.js'
import { healthRoutes } from './routes/health.js'
import { knocRoutes } from './routes/knocs.js'
import { uiRoutes } from './routes/ui.js'
import { version } from '../version.js'
import { knocSchema } from '../config/schema.js'
import { z } from 'zod'

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

export interface RegisteredRoute {
  method: string
  url: string
  hidden: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: readonly RegisteredRoute[]
  }
}

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
    // Headers over Node's maxHeaderSize get 431 from handleClientError; long
    // URLs get 414 from registerRequestLimits.
    routerOptions: { maxParamLength: 200 },
    clientErrorHandler: handleClientError,
    return503OnClosing: true,
    ...(options.https ? { https: options.https } : {}),
  } as FastifyServerOptions)

  // Every route, as registered, so a test can check each one is documented.
  const routes: RegisteredRoute[] = []
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) routes.push({ method, url: route.url, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true })
  })
  app.decorate('registeredRoutes', routes)

  // Declared up front so every request object has the same shape.
  app.decorateRequest('feedKnoc', undefined)
  app.decorateRequest('feedUser', undefined)

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  registerErrorHandlers(app)
  // The OpenAPI description is generated from the routes' own zod schemas,
  // so it cannot drift from what the routes accept.
  await app.register(swagger, {
    openapi: {
      info: { title: 'knocklist', description: 'Time-limited access grants turned into firewall address lists.', version },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'An admin token' },
          feedCredentials: { type: 'http', scheme: 'basic', description: "The knoc's feed username and password" },
        },
      },
    },
    transform: describeRoute,
  })
  app.get('/v1/openapi.json', { schema: { summary: 'This API description in OpenAPI 3', tags: ['meta'] } }, async () => app.swagger())
  registerRequestLimits(app)
  observeFeedRequests(app, context)
  if (context.config.metrics.enabled && context.config.metrics.listen === undefined) await app.register(metricsRoutes, context)
  await app.register(healthRoutes, context)
  await app.register(feedRoutes, context)
  await app.register(uiRoutes, context)
  await app.register(async (admin) => {
    admin.addHook('onRequest', adminAuthHook(context.adminTokens, authFailureLimiter(context)))
    // Every route of this scope needs the bearer token, and the OpenAPI
    // description declares it per route.
    admin.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ adminToken: [] }] }
    })
    await admin.register(grantRoutes, context)
    await admin.register(knocRoutes, context)
    await admin.register(auditRoutes, context)
    await admin.register(routerOsRoutes, context)
  })
  return app
}

type TransformArguments = Parameters<typeof jsonSchemaTransform>[0]

// The JSON Schema of a knoc definition, as PUT /v1/knocs/{knoc} accepts it.
let knocBodySchema: Record<string, unknown> | undefined

// Adds to the OpenAPI description what the route schemas leave out because
// the handlers check or send it themselves: the knoc definition that
// PUT /v1/knocs/{knoc} validates with the config schema, and the success
// statuses other than 200.
function describeRoute(transformArguments: TransformArguments): ReturnType<typeof jsonSchemaTransform> {
  const transformed = jsonSchemaTransform(transformArguments)
  const { url, route } = transformArguments
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  const schema = { ...(transformed.schema as Record<string, unknown>) }
  if (methods.includes('PUT') && url === '/v1/knocs/:knoc') {
    knocBodySchema ??= z.toJSONSchema(knocSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
    const { $schema: _dialect, ...body } = knocBodySchema
    schema.body = body
    schema.response = { 200: { description: 'The knoc was replaced', type: 'object' }, 201: { description: 'The knoc was created', type: 'object' } }
  } else if (methods.includes('DELETE')) {
    schema.response = { 204: { description: 'Deleted', type: 'null' } }
  } else if (methods.includes('POST') && url === '/v1/knocs/:knoc/grants') {
    schema.response = { 201: { description: 'The grant was stored', type: 'object' } }
  }
  return { ...transformed, schema } as ReturnType<typeof jsonSchemaTransform>
}
