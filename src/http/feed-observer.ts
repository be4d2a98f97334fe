import type { FastifyInstance } from 'fastify'
import type { AppContext } from './context.js'

// The user name of a Basic authorization header, without the password.
function basicUser(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (match === null) return null
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? null : decoded.slice(0, Math.min(colon, 64))
}

// The format of a feed URL: the extension of "/v1/feeds/{knoc}.txt", or
// "routeros" for the importer's data pages.
function feedFormat(url: string): string {
  const path = url.split('?')[0]!
  const rest = path.slice('/v1/feeds/'.length)
  if (rest.includes('/')) return 'routeros'
  const dot = rest.lastIndexOf('.')
  return dot < 0 ? 'unknown' : rest.slice(dot + 1).slice(0, 16)
}

// Counts and audits every feed request once it has been answered, whatever
// its status, so failed polls and forbidden clients show up too.
export function observeFeedRequests(app: FastifyInstance, context: AppContext): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/v1/feeds/')) return
    const knoc = request.feedKnoc?.name ?? (request.params as { knoc?: string; file?: string } | undefined)?.knoc ?? null
    const format = feedFormat(request.url)
    const status = reply.statusCode
    if (knoc !== null && request.feedKnoc !== undefined) context.metrics.observeFeedRequest(knoc, format, status)
    context.audit.record({
      action: 'feed.fetched',
      actor: basicUser(request.headers.authorization),
      knoc: request.feedKnoc?.name ?? null,
      clientAddress: request.ip,
      detail: { format, status },
    })
  })
}
