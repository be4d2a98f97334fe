import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { errorCatalogue, KnocklistError, type KnocklistErrorCode } from '../errors.js'

const reasonPhrases: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

export function errorBody(code: KnocklistErrorCode, message: string) {
  const statusCode = errorCatalogue[code].status
  return { statusCode, code, error: reasonPhrases[statusCode] ?? 'Error', message }
}

// Turns a failed route-schema validation into a coded error naming the
// field: unknown fields get their own code, so clients can tell a typo from a
// bad value.
function fromValidationError(error: FastifyError): KnocklistError | undefined {
  if (!hasZodFastifySchemaValidationErrors(error)) return undefined
  const [first] = error.validation
  if (first === undefined) return undefined
  if (first.keyword === 'unrecognized_keys') {
    const keys = (first.params as { keys?: string[] }).keys ?? []
    return new KnocklistError('KNL_REQUEST_UNKNOWN_FIELD', `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((key) => JSON.stringify(key)).join(', ')}; remove ${keys.length > 1 ? 'them' : 'it'}`)
  }
  const where = first.instancePath.slice(1).replaceAll('/', '.')
  const location = error.validationContext === 'body' ? 'body' : (error.validationContext ?? 'request')
  if (first.keyword === 'invalid_type' && where === '') {
    return new KnocklistError('KNL_REQUEST_INVALID', `the request ${location} must be a JSON object`)
  }
  // The schemas' own messages name the field; a generic message gets the path.
  const message = first.message.includes(where) || where === '' ? first.message : `${location}.${where}: ${first.message}`
  return new KnocklistError('KNL_REQUEST_INVALID', message)
}

// Maps Fastify's own request errors onto the catalogue.
// bodyLimit: the route's limit in bytes, which Fastify's message leaves out.
function fromFastifyError(error: FastifyError, bodyLimit: number | undefined): KnocklistError | undefined {
  const validation = fromValidationError(error)
  if (validation !== undefined) return validation
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KnocklistError(
        'KNL_REQUEST_TOO_LARGE',
        `the request body is larger than the limit of ${bodyLimit === undefined ? "the server's server.bodyLimit" : `${bodyLimit} bytes`}; send a smaller body, or raise server.bodyLimit in the config`,
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KnocklistError('KNL_REQUEST_UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON; send it with Content-Type: application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KnocklistError('KNL_REQUEST_MALFORMED_JSON', 'the request has Content-Type: application/json but an empty body; send a JSON object')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KnocklistError('KNL_REQUEST_MALFORMED_JSON', `the request body is not valid JSON (${error.message}); check quotes and commas`)
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new KnocklistError('KNL_REQUEST_INVALID', 'the Content-Length header does not match the body')
    case 'FST_ERR_BAD_URL':
      return new KnocklistError('KNL_REQUEST_INVALID', 'the URL is malformed; check its percent-encoding')
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new KnocklistError('KNL_REQUEST_MALFORMED_JSON', `the request body is not valid JSON (${error.message}); check quotes and commas`)
  }
  return undefined
}

// Every error leaves in the documented JSON shape. 4xx are logged at info
// because the client is at fault; 5xx at error with the cause, and the
// client sees only a generic message.
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof KnocklistError ? error : fromFastifyError(error, request.routeOptions?.bodyLimit)
    if (known !== undefined) {
      if (known.statusCode >= 500) request.log.error({ err: error }, 'request failed')
      else request.log.info({ code: known.code, statusCode: known.statusCode }, 'request rejected')
      return reply.code(known.statusCode).send(errorBody(known.code, known.message))
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ code: error.code, statusCode: error.statusCode }, 'request rejected')
      return reply.code(error.statusCode).send({ statusCode: error.statusCode, code: 'KNL_REQUEST_INVALID', error: reasonPhrases[error.statusCode] ?? 'Bad Request', message: error.message })
    }
    request.log.error({ err: error }, 'request failed')
    return reply.code(500).send(errorBody('KNL_INTERNAL', 'an unexpected error occurred; the server log has the details'))
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('KNL_ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}; see the HTTP API in the README`))
  })
}
