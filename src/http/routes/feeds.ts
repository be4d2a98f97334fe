import basicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KnocklistError } from '../../errors.js'
import { feedFormats } from '../../feeds/formats.js'
import type { AddressFamily } from '../../grants/address.js'
import type { Knoc } from '../../knocs/registry.js'
import { secretsEqual } from '../../secrets.js'
import { isClientAllowed } from '../allow-from.js'
import type { AppContext } from '../context.js'

declare module 'fastify' {
  interface FastifyRequest {
    // The knoc a feed request is for, set before authentication.
    feedKnoc?: Knoc
  }
}

// Splits "office-ssh.txt" into the knoc name and the format extension.
function splitFeedFile(file: string): { knocName: string; extension: string } {
  const dot = file.lastIndexOf('.')
  if (dot <= 0) {
    throw new KnocklistError('KNL_FEED_FORMAT_UNKNOWN', `feed ${JSON.stringify(file)} has no format extension; request ${file}.txt or ${file}.json`)
  }
  return { knocName: file.slice(0, dot), extension: file.slice(dot + 1) }
}

function parseFamily(value: unknown): AddressFamily | undefined {
  if (value === undefined) return undefined
  if (value === 'ipv4' || value === 'ipv6') return value
  throw new KnocklistError('KNL_REQUEST_INVALID', `invalid family ${JSON.stringify(value)}: use ?family=ipv4 or ?family=ipv6, or leave it out for both`)
}

// Whether an If-None-Match header names this ETag (RFC 9110: weak
// comparison, a list of tags, or "*").
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

// Sends a feed body with the headers every feed reply carries, or 304 when
// the client already has it.
export function sendFeed(request: FastifyRequest, reply: FastifyReply, feed: { body: Buffer; etag: string; contentType: string }) {
  reply.header('ETag', feed.etag).header('Cache-Control', 'no-cache')
  if (matchesEtag(request.headers['if-none-match'], feed.etag)) {
    return reply.code(304).send()
  }
  return reply.header('Content-Type', feed.contentType).header('Content-Length', feed.body.length).send(feed.body)
}

// Feed routes: HTTP Basic auth with the knoc's feed credentials, after the
// allowFrom check, so a client outside allowFrom gets 403 whatever it sends.
export async function feedRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  await app.register(basicAuth, {
    authenticate: { realm: 'knocklist feeds' },
    validate: async (username, password, request) => {
      const knoc = request.feedKnoc
      if (knoc === undefined) throw new KnocklistError('KNL_AUTH_INVALID')
      const expectedPassword = knoc.feed.password ?? context.defaultFeedPassword
      // Both compares always run, so timing does not tell which one failed.
      const userMatches = secretsEqual(username, knoc.feed.username)
      const passwordMatches = secretsEqual(password, expectedPassword)
      if (!userMatches || !passwordMatches) {
        request.log.warn({ knoc: knoc.name, clientAddress: request.ip, feedUser: username.slice(0, 64) }, 'feed authentication failed')
        throw new KnocklistError('KNL_AUTH_INVALID', `the feed credentials for knoc ${JSON.stringify(knoc.name)} are invalid; check the feed username and password`)
      }
    },
  })

  // Resolves the knoc and enforces allowFrom before any credential check.
  const resolveFeedKnoc = async (request: FastifyRequest<{ Params: { file?: string; knoc?: string } }>) => {
    const name = request.params.knoc ?? splitFeedFile(request.params.file ?? '').knocName
    const knoc = context.knocs.require(name)
    if (!isClientAllowed(request.ip, knoc.feed.allowFrom)) {
      request.log.warn({ knoc: knoc.name, clientAddress: request.ip }, 'feed client outside allowFrom')
      throw new KnocklistError('KNL_FEED_CLIENT_FORBIDDEN', `client address ${request.ip} is not in the allowFrom list of knoc ${JSON.stringify(knoc.name)}; add it to feed.allowFrom`)
    }
    request.feedKnoc = knoc
  }

  // The missing-credentials error of @fastify/basic-auth becomes KNL_AUTH_MISSING.
  const authenticateFeed = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization === undefined) {
      reply.header('WWW-Authenticate', 'Basic realm="knocklist feeds"')
      throw new KnocklistError('KNL_AUTH_MISSING', `feed ${request.url.split('?')[0]} needs HTTP Basic auth with the knoc's feed username and password`)
    }
    await new Promise<void>((resolve, reject) => {
      app.basicAuth(request, reply, (error?: Error) => (error ? reject(error) : resolve()))
    })
  }

  app.get<{ Params: { file: string }; Querystring: { family?: string } }>(
    '/v1/feeds/:file',
    { onRequest: [resolveFeedKnoc, authenticateFeed] },
    async (request, reply) => {
      const { knocName, extension } = splitFeedFile(request.params.file)
      const format = feedFormats[extension]
      if (format === undefined || !Object.hasOwn(feedFormats, extension)) {
        throw new KnocklistError('KNL_FEED_FORMAT_UNKNOWN', `unknown feed format ${JSON.stringify(extension)}: use .txt or .json`)
      }
      const family = parseFamily(request.query.family)
      const { version } = context.grants.snapshot(knocName)
      const feed = context.feedCache.get(() => context.grants.snapshot(knocName), knocName, version, extension, format, family)
      return sendFeed(request, reply, feed)
    },
  )
}
