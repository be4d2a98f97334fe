import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { KnocklistError, type KnocklistErrorCode } from '../errors.js'
import { errorBody } from './errors.js'
import { registerJsonBodyParser } from './json-body.js'

// The maximum length of the request target (path and query), in characters.
// Real routes, such as the feed of a 63-character knoc with ?family=, stay
// under 200. The headers as a whole are capped by Node's maxHeaderSize
// (16 KiB by default), and handleClientError replies 431 beyond it.
export const maxUrlLength = 4096

// Registers the request limits that Fastify does not enforce itself: URL
// length (414) and JSON nesting depth (400). The body size limit is the
// server.bodyLimit option of Fastify.
export function registerRequestLimits(app: FastifyInstance): void {
  registerJsonBodyParser(app)
  // A callback hook rather than an async one: it runs on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.length > maxUrlLength) {
      done(new KnocklistError('KNL_REQUEST_URL_TOO_LONG', `the URL is ${request.url.length} characters long, more than the limit of ${maxUrlLength}; send a shorter URL`))
      return
    }
    done()
  })
}

// Sends the documented error reply for requests that Node's HTTP parser
// rejects before Fastify receives them: 431 for headers over maxHeaderSize, 408
// for a request that took too long to arrive, 400 for anything else. Passed
// as Fastify's clientErrorHandler option.
export function handleClientError(this: { log: { debug(object: object, message: string): void } }, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  let code: KnocklistErrorCode = 'KNL_REQUEST_INVALID'
  let message = 'the request is not valid HTTP/1.1'
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    code = 'KNL_REQUEST_HEADERS_TOO_LARGE'
    message = 'the request headers are larger than the server accepts (16 KiB by default); send fewer or shorter headers'
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    code = 'KNL_REQUEST_TIMEOUT'
    message = 'the request did not arrive in time; send it again'
  }
  this.log.debug({ code, err: error }, 'client error')
  const reply = errorBody(code, message)
  const body = JSON.stringify(reply)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${reply.statusCode} ${reply.error}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}
