import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config/schema.js'
import { KnocklistError } from '../../errors.js'
import type { Knoc } from '../../knocs/registry.js'
import { renderSetupScript } from '../../routeros/script/setup.js'
import type { AppContext } from '../context.js'
import { knocParams } from '../schemas.js'

// The base URL routers fetch from: server.publicUrl, else the listen address.
// The listen address is only right when routers reach knocklist directly.
export function routerBaseUrl(config: Config): string {
  if (config.server.publicUrl !== undefined) return config.server.publicUrl.replace(/\/+$/, '')
  const scheme = config.server.tls === undefined ? 'http' : 'https'
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host
  return `${scheme}://${host}:${config.server.port}`
}

// Renders the setup script of a passive or passive-plus knoc.
export function setupScriptFor(knoc: Knoc, context: Pick<AppContext, 'config' | 'defaultFeedPassword'>): string {
  if (knoc.mode === 'active') {
    throw new KnocklistError('KNL_KNOC_NOT_PASSIVE', `knoc ${JSON.stringify(knoc.name)} is in active mode, so knocklist writes its routers through REST; the setup script is for passive and passive-plus knocs`)
  }
  const baseUrl = routerBaseUrl(context.config)
  return renderSetupScript({
    knoc: knoc.name,
    addressList: knoc.addressList,
    baseUrl,
    feedUsername: knoc.feed.username,
    feedPassword: knoc.feed.password ?? context.defaultFeedPassword,
    pollIntervalSeconds: knoc.feed.pollInterval,
    // Certificate checks only exist for HTTPS.
    checkCertificate: baseUrl.startsWith('https:') && knoc.feed.checkCertificate,
  })
}

export async function routerOsRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get<{ Params: { knoc: string } }>(
    '/v1/knocs/:knoc/routeros/setup.rsc',
    { schema: { summary: 'The RouterOS setup script an admin pastes into the router terminal once', tags: ['routeros'], params: knocParams } },
    async (request, reply) => {
      const script = setupScriptFor(context.knocs.require(request.params.knoc), context)
      return reply.header('Content-Type', 'text/plain; charset=utf-8').header('Cache-Control', 'no-store').send(script)
    },
  )
}
