// A minimal Node.js feed server, the reference point of the feed-throughput
// bench: node:http, one Basic-auth compare in constant time, a strong ETag
// computed once, and 304 on a match. It has no framework, logging, metrics
// or audit. The gap between this server and nginx is what Node itself costs.
// The gap between knocklist and this server is what knocklist's own request
// path costs.
//
// With --fastify the same work runs as one Fastify route (no logger, no
// hooks), which shows what the framework alone costs per request.
//
// Usage: node node-reference.mjs [--fastify] FOLDER AUTHORIZATION
// Serves every file of FOLDER at /<name> on an ephemeral loopback port and
// prints the port as one line on stdout.
import { createHash, timingSafeEqual } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import Fastify from 'fastify'

const useFastify = process.argv[2] === '--fastify'
const [folder, authorization] = process.argv.slice(useFastify ? 3 : 2)
if (!folder || !authorization) {
  process.stderr.write('usage: node node-reference.mjs [--fastify] FOLDER AUTHORIZATION\n')
  process.exit(2)
}

const files = new Map()
for (const name of readdirSync(folder)) {
  const body = readFileSync(path.join(folder, name))
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
  files.set(`/${name}`, { body, etag })
}
const expectedDigest = createHash('sha256').update(authorization).digest()

// Plain node:http: the least a Node.js server does per request.
function startNodeServer() {
  const server = createServer((request, response) => {
    const header = request.headers.authorization ?? ''
    if (!timingSafeEqual(createHash('sha256').update(header).digest(), expectedDigest)) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="feed"' }).end()
      return
    }
    const file = files.get(request.url ?? '')
    if (file === undefined) {
      response.writeHead(404).end()
      return
    }
    if (request.headers['if-none-match'] === file.etag) {
      response.writeHead(304, { etag: file.etag, 'cache-control': 'no-cache' }).end()
      return
    }
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': file.body.length, etag: file.etag, 'cache-control': 'no-cache' }).end(file.body)
  })
  server.keepAliveTimeout = 75_000
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${server.address().port}\n`)
  })
}

// The same work as one Fastify route, without a logger or hooks.
async function startFastifyServer() {
  const app = Fastify({ logger: false, keepAliveTimeout: 75_000 })
  app.get('/:name', async (request, reply) => {
    const header = request.headers.authorization ?? ''
    if (!timingSafeEqual(createHash('sha256').update(header).digest(), expectedDigest)) {
      return reply.code(401).header('www-authenticate', 'Basic realm="feed"').send()
    }
    const file = files.get(`/${request.params.name}`)
    if (file === undefined) return reply.code(404).send()
    reply.header('etag', file.etag).header('cache-control', 'no-cache')
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
    return reply.header('content-type', 'text/plain; charset=utf-8').send(file.body)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.stdout.write(`${app.server.address().port}\n`)
}

if (useFastify) await startFastifyServer()
else startNodeServer()
