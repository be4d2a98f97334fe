import basicAuth from '@fastify/basic-auth'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KnocklistError } from '../../errors.js'
import { createHash } from 'node:crypto'
import { feedFormats } from '../../feeds/formats.js'
import { pageCount, renderDataPage, renderVersionReply } from '../../routeros/script/pages.js'
import { renderImportRsc } from '../../routeros/script/rsc.js'
import type { FeedSnapshot } from '../../routeros/script/snapshot.js'
import type { AddressFamily } from '../../grants/address.js'
import type { Knoc } from '../../knocs/registry.js'
import { secretsEqual } from '../../secrets.js'
import { isClientAllowed } from '../allow-from.js'
import { authFailureLimiter } from '../auth-failures.js'
import type { AppContext } from '../context.js'
import { z } from 'zod'
import { feedParams, feedQuery, knocParams } from '../schemas.js'

declare module 'fastify' {
  interface FastifyRequest {
    // The knoc a feed request is for, set before authentication.
    feedKnoc?: Knoc
    // The feed user, set once the credentials matched.
    feedUser?: string
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

const rscContentType = 'text/plain; charset=utf-8'

// A reply rendered per request, because it states remaining timeouts that
// change every second; its ETag hashes the body.
function uncachedFeed(text: string) {
  const body = Buffer.from(text, 'utf8')
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, contentType: rscContentType }
}

function routerOsSnapshot(context: AppContext, knocName: string): FeedSnapshot {
  const snapshot = context.grants.snapshot(knocName)
  return { knoc: knocName, version: snapshot.version, entries: snapshot.entries }
}

// Feed routes: HTTP Basic auth with the knoc's feed credentials, after the
// allowFrom check, so a client outside allowFrom gets 403 whatever it sends.
export async function feedRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const failures = authFailureLimiter(context)
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
        // The username is not logged: a client that mixed up the fields sends the password in it.
        failures.recordFailure(request, { route: 'feed', knoc: knoc.name, usernameMatches: userMatches })
        throw new KnocklistError('KNL_AUTH_INVALID', `the feed credentials for knoc ${JSON.stringify(knoc.name)} are invalid; check the feed username and password`)
      }
      request.feedUser = knoc.feed.username
    },
  })

  // The Authorization header a correctly configured client sends for a knoc.
  // Kept per knoc object; a changed knoc is a new object.
  const expectedHeaders = new WeakMap<Knoc, string>()
  const expectedAuthorization = (knoc: Knoc) => {
    let header = expectedHeaders.get(knoc)
    if (header === undefined) {
      const password = knoc.feed.password ?? context.defaultFeedPassword
      header = `Basic ${Buffer.from(`${knoc.feed.username}:${password}`, 'utf8').toString('base64')}`
      expectedHeaders.set(knoc, header)
    }
    return header
  }

  // Resolves the knoc and enforces allowFrom before any credential check.
  const resolveFeedKnoc = (request: FastifyRequest<{ Params: { file?: string; knoc?: string } }>) => {
    const name = request.params.knoc ?? splitFeedFile(request.params.file ?? '').knocName
    const knoc = context.knocs.require(name)
    if (!isClientAllowed(request.ip, knoc.feed.allowFrom)) {
      request.log.warn({ knoc: knoc.name, clientAddress: request.ip }, 'feed client outside allowFrom')
      throw new KnocklistError('KNL_FEED_CLIENT_FORBIDDEN', `client address ${request.ip} is not in the allowFrom list of knoc ${JSON.stringify(knoc.name)}; add it to feed.allowFrom`)
    }
    request.feedKnoc = knoc
  }

  // Whether the request carries exactly the Authorization header of the
  // knoc's feed credentials: one constant-time compare of the whole header,
  // for the header every poll sends.
  const hasExpectedAuthorization = (request: FastifyRequest): boolean => {
    const knoc = request.feedKnoc
    if (knoc === undefined || request.headers.authorization === undefined) return false
    if (!secretsEqual(request.headers.authorization, expectedAuthorization(knoc))) return false
    request.feedUser = knoc.feed.username
    return true
  }

  // Checks any other Authorization header, right or wrong, through the full
  // Basic auth parse. Missing credentials, or another scheme than Basic, are
  // KNL_AUTH_MISSING rather than the generic error of @fastify/basic-auth.
  const authenticateFeed = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization === undefined || !/^Basic[ \t]/i.test(request.headers.authorization)) {
      reply.header('WWW-Authenticate', 'Basic realm="knocklist feeds"')
      throw new KnocklistError('KNL_AUTH_MISSING', `feed ${request.url.split('?')[0]} needs HTTP Basic auth with the knoc's feed username and password`)
    }
    await new Promise<void>((resolve, reject) => {
      app.basicAuth(request, reply, (error?: Error) => {
        if (error === undefined) resolve()
        // A header that is not base64 of "username:password" has no usable credentials.
        else if ((error as { code?: string }).code === 'FST_BASIC_AUTH_MISSING_OR_BAD_AUTHORIZATION_HEADER') {
          reject(new KnocklistError('KNL_AUTH_MISSING', 'the Authorization header is not valid HTTP Basic credentials: send "Basic " and the base64 of "username:password"'))
        } else reject(error)
      })
    })
  }

  // Resolves the knoc, enforces allowFrom, rejects a client with too many
  // recent failures with 429 before its credentials are looked at, then
  // authenticates. A callback hook, so a poll with the expected header
  // costs no promise.
  const feedOnRequest = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    try {
      resolveFeedKnoc(request as FastifyRequest<{ Params: { file?: string; knoc?: string } }>)
      failures.rejectIfLimited(request, reply)
      if (hasExpectedAuthorization(request)) {
        done()
        return
      }
    } catch (error) {
      done(error as Error)
      return
    }
    authenticateFeed(request, reply).then(() => done(), done)
  }

  // Feed polls share one child logger instead of one per request, because
  // firewalls poll constantly and the audit trail records each poll already.
  // Their warning lines therefore carry no request id.
  let feedLogger: FastifyBaseLogger | undefined
  const sharedFeedLogger = (logger: FastifyBaseLogger, _bindings: unknown, options: Parameters<FastifyBaseLogger['child']>[1]) => {
    // No bindings of its own: failure lines already name the route.
    feedLogger ??= logger.child({}, options)
    return feedLogger
  }

  app.get<{ Params: { file: string }; Querystring: { family?: string } }>(
    '/v1/feeds/:file',
    {
      onRequest: feedOnRequest,
      // Each fetch is in the audit trail already; the log keeps only warnings.
      logLevel: 'warn',
      childLoggerFactory: sharedFeedLogger,
      schema: {
        summary: "A knoc's addresses as a plain-text list (.txt), JSON (.json) or a RouterOS script for /import (.rsc)",
        tags: ['feeds'],
        security: [{ feedCredentials: [] }],
        params: feedParams,
        querystring: feedQuery,
      },
    },
    async (request, reply) => {
      const { knocName, extension } = splitFeedFile(request.params.file)
      if (extension === 'rsc') {
        const knoc = request.feedKnoc!
        return sendFeed(request, reply, uncachedFeed(renderImportRsc(routerOsSnapshot(context, knocName), { addressList: knoc.addressList, nowMs: context.clock.now() })))
      }
      const format = feedFormats[extension]
      if (format === undefined || !Object.hasOwn(feedFormats, extension)) {
        throw new KnocklistError('KNL_FEED_FORMAT_UNKNOWN', `unknown feed format ${JSON.stringify(extension)}: use .txt, .json or .rsc`)
      }
      const family = parseFamily(request.query.family)
      const { version } = context.grants.snapshot(knocName)
      const feed = context.feedCache.get(() => context.grants.snapshot(knocName), knocName, version, extension, format, family)
      return sendFeed(request, reply, feed)
    },
  )

  // The RouterOS importer first reads the version reply and stops when it
  // has that version already; only then does it read the pages.
  app.get<{ Params: { knoc: string } }>(
    '/v1/feeds/:knoc/routeros/version',
    {
      onRequest: feedOnRequest,
      // Each fetch is in the audit trail already; the log keeps only warnings.
      logLevel: 'warn',
      childLoggerFactory: sharedFeedLogger,
      schema: { summary: 'The RouterOS importer: the current snapshot version and page count', tags: ['feeds'], security: [{ feedCredentials: [] }], params: knocParams },
    },
    async (request, reply) => sendFeed(request, reply, uncachedFeed(renderVersionReply(routerOsSnapshot(context, request.params.knoc)))),
  )

  app.get<{ Params: { knoc: string; page: string } }>(
    '/v1/feeds/:knoc/routeros/pages/:page',
    {
      onRequest: feedOnRequest,
      // Each fetch is in the audit trail already; the log keeps only warnings.
      logLevel: 'warn',
      childLoggerFactory: sharedFeedLogger,
      schema: {
        summary: 'The RouterOS importer: one data page of the current snapshot, under 60,000 bytes',
        tags: ['feeds'],
        security: [{ feedCredentials: [] }],
        params: knocParams.extend({ page: z.string().describe('Page number, from 1') }),
        querystring: z.object({ version: z.string().optional().describe('The snapshot version the importer expects; each page states its own') }),
      },
    },
    async (request, reply) => {
      const snapshot = routerOsSnapshot(context, request.params.knoc)
      const page = /^[1-9]\d{0,5}$/.test(request.params.page) ? Number(request.params.page) : undefined
      const text = page === undefined ? undefined : renderDataPage(snapshot, page, context.clock.now())
      if (text === undefined) {
        throw new KnocklistError('KNL_FEED_PAGE_NOT_FOUND', `page ${JSON.stringify(request.params.page)} does not exist; the current snapshot has pages 1 to ${pageCount(snapshot)}`)
      }
      return sendFeed(request, reply, uncachedFeed(text))
    },
  )
}
