import type { FastifyInstance } from 'fastify'
import type { AppContext } from './context.js'

const knownFormats = new Set(['txt', 'json', 'rsc'])

// The format of a feed URL: the extension of "/v1/feeds/{knoc}.txt",
// "routeros" for the importer's routes, and "unknown" for anything else, so
// a client cannot put arbitrary text into metric labels.
function feedFormat(url: string): string {
  const query = url.indexOf('?')
  const path = query < 0 ? url : url.slice(0, query)
  const rest = path.slice('/v1/feeds/'.length)
  if (rest.includes('/')) return 'routeros'
  const extension = rest.slice(rest.lastIndexOf('.') + 1)
  return rest.includes('.') && knownFormats.has(extension) ? extension : 'unknown'
}

// Counts and audits every feed request once its reply is sent, whatever
// its status, so failed polls and forbidden clients show up too. The hook
// takes a callback rather than returning a promise, because it runs on every
// poll and has nothing to wait for.
export function observeFeedRequests(app: FastifyInstance, context: AppContext): void {
  app.addHook('onResponse', (request, reply, done) => {
    if (request.url.startsWith('/v1/feeds/')) {
      const knoc = request.feedKnoc?.name ?? null
      const format = feedFormat(request.url)
      const status = reply.statusCode
      if (knoc !== null) context.metrics.observeFeedRequest(knoc, format, status)
      context.audit.record({
        action: 'feed.fetched',
        // Set only once the credentials matched: the username of a failed
        // login may be a password typed into the wrong field.
        actor: request.feedUser ?? null,
        knoc,
        clientAddress: request.ip,
        detail: { format, status },
      })
    }
    done()
  })
}
