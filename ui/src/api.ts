// The admin API client: Bearer token, JSON bodies, and API error replies
// turned into ApiError so screens can show their message instead of JSON.

export interface ApiErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
}

/** A failed API request: the HTTP status, the KNL_* code and the server's message. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string

  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (value === null || typeof value !== 'object') return false
  const body = value as Record<string, unknown>
  return typeof body.code === 'string' && typeof body.message === 'string'
}

/**
 * Describes any error from a request as one readable sentence: the server's
 * message and code for an API error, a hint to check the server when the
 * request never got a reply.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const sentence = error.message.charAt(0).toUpperCase() + error.message.slice(1)
    return `${sentence} (${error.code}, HTTP ${error.status})`
  }
  if (error instanceof TypeError) return 'knocklist did not reply; check that the server is running and reachable'
  return error instanceof Error ? error.message : String(error)
}

// Sign-in token storage: sessionStorage only, so the token ends with the tab.
const tokenKey = 'knocklist.adminToken'

export function storedToken(): string | undefined {
  return sessionStorage.getItem(tokenKey) ?? undefined
}

export function storeToken(token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(tokenKey)
  else sessionStorage.setItem(tokenKey, token)
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

export class ApiClient {
  readonly #token: string
  readonly #onUnauthorized: (error: ApiError) => void

  /** `onUnauthorized` runs when the server rejects the token, so the page can return to sign-in. */
  constructor(token: string, onUnauthorized: (error: ApiError) => void = () => undefined) {
    this.#token = token
    this.#onUnauthorized = onUnauthorized
  }

  async json<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body, 'application/json')
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  async text(path: string): Promise<string> {
    const response = await this.#send('GET', path, undefined, 'text/plain, application/json;q=0.5')
    return response.text()
  }

  async #send(method: Method, path: string, body: unknown, accept: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept }
    const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const response = await fetch(path, init)
    if (response.ok) return response

    const error = await toApiError(response)
    if (response.status === 401) this.#onUnauthorized(error)
    throw error
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text()
  try {
    const parsed: unknown = JSON.parse(text)
    if (isErrorBody(parsed)) return new ApiError(response.status, parsed.code, parsed.message)
  } catch {
    // Not JSON: a proxy or a crash page. Fall through to the status line.
  }
  const reason = response.statusText === '' ? 'the request failed' : response.statusText.toLowerCase()
  return new ApiError(response.status, `HTTP_${response.status}`, `${reason}; the reply was not a knocklist error`)
}
