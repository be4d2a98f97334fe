// The catalogue of knocklist's own errors. Every error a client can see has a
// stable `KNL_<AREA>_<WHAT>` code and an HTTP status. docs/api-errors.md has a
// row per code, and a test keeps the two in step. Callers branch on `code`.

export const errorCatalogue = {
  KNL_REQUEST_INVALID: { status: 400, message: 'The request is invalid' },
  KNL_REQUEST_UNKNOWN_FIELD: { status: 400, message: 'The request body has a field this route does not accept' },
  KNL_REQUEST_MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON' },
  KNL_REQUEST_TOO_LARGE: { status: 413, message: 'The request body is larger than the server accepts' },
  KNL_REQUEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json' },
  KNL_REQUEST_URL_TOO_LONG: { status: 414, message: 'The URL is longer than the server accepts' },
  KNL_REQUEST_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than the server accepts' },
  KNL_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time' },
  KNL_ADDRESS_INVALID: { status: 400, message: 'The address is not a valid IPv4 or IPv6 address or network' },
  KNL_ADDRESS_TOO_WIDE: { status: 400, message: 'The network is wider than the knoc allows' },
  KNL_ADDRESS_DEFAULT_ROUTE: { status: 400, message: 'A grant to every address (0.0.0.0/0 or ::/0) is never allowed' },
  KNL_TTL_INVALID: { status: 400, message: 'The TTL is not a valid duration' },
  KNL_TTL_TOO_LONG: { status: 400, message: "The TTL is longer than the knoc's maximum" },
  KNL_KNOC_NAME_INVALID: { status: 400, message: 'The knoc name is invalid' },
  KNL_KNOC_INVALID: { status: 400, message: 'The knoc definition is invalid' },
  KNL_KNOC_NOT_FOUND: { status: 404, message: 'No knoc has this name' },
  KNL_KNOC_READ_ONLY: { status: 409, message: 'The knoc is declared in the config file and cannot be changed through the API' },
  KNL_GRANT_NOT_FOUND: { status: 404, message: 'No active grant has this id' },
  KNL_ROUTE_NOT_FOUND: { status: 404, message: 'No route matches this method and path' },
  KNL_FEED_FORMAT_UNKNOWN: { status: 404, message: 'No feed format has this name' },
  KNL_FEED_PAGE_NOT_FOUND: { status: 404, message: 'The RouterOS data page does not exist in the current snapshot' },
  KNL_KNOC_NOT_PASSIVE: { status: 409, message: 'The RouterOS setup script is for passive and passive-plus knocs' },
  KNL_AUTH_MISSING: { status: 401, message: 'Credentials are missing' },
  KNL_AUTH_INVALID: { status: 401, message: 'The credentials are invalid' },
  KNL_AUTH_RATE_LIMITED: { status: 429, message: 'Too many failed authentication attempts from this address' },
  KNL_FEED_CLIENT_FORBIDDEN: { status: 403, message: "The client address is outside the feed's allowFrom list" },
  KNL_STORE_UNAVAILABLE: { status: 503, message: 'The store cannot be written' },
  KNL_NOT_READY: { status: 503, message: 'The server is not ready' },
  KNL_INTERNAL: { status: 500, message: 'An unexpected error occurred' },
} as const satisfies Record<string, { status: number; message: string }>

export type KnocklistErrorCode = keyof typeof errorCatalogue

// An error meant for an API client: the message names the bad value and the
// fix, and never contains a secret.
export class KnocklistError extends Error {
  readonly code: KnocklistErrorCode
  readonly statusCode: number

  constructor(code: KnocklistErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? errorCatalogue[code].message, options)
    this.name = 'KnocklistError'
    this.code = code
    this.statusCode = errorCatalogue[code].status
  }
}

export function isKnocklistError(value: unknown): value is KnocklistError {
  return value instanceof KnocklistError
}
