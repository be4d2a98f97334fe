// The catalogue of RouterOS error codes. Codes are stable: never renumbered or
// reused. 208000-208049 cover connection, TLS, authentication and REST
// availability, 208100-208149 address-list reads and writes, 208400-208449
// replies knocklist could not understand. Each code has a troubleshooting page
// at docs/errors/<code>.md, and a test fails when the two drift apart.

export type RouterErrorArea = 'connection' | 'tls' | 'authentication' | 'rest' | 'address-list' | 'reply';

export interface RouterErrorDefinition {
  /** Constant name, for code that prefers `RouterErrorCode.ENTRY_EXISTS` to a bare number. */
  name: string;
  area: RouterErrorArea;
  message: string;
}

export const ROUTER_ERRORS = {
  208000: { name: 'CONNECTION_FAILED', area: 'connection', message: 'connection to the router failed' },
  208001: { name: 'AUTHENTICATION_FAILED', area: 'authentication', message: 'authentication failed' },
  208002: { name: 'PERMISSION_DENIED', area: 'authentication', message: 'permission denied: the user group lacks a policy' },
  208003: { name: 'CERTIFICATE_UNTRUSTED', area: 'tls', message: 'TLS certificate not trusted' },
  208004: { name: 'FINGERPRINT_MISMATCH', area: 'tls', message: 'TLS certificate does not match the pinned fingerprint' },
  208005: { name: 'CONNECTION_REFUSED', area: 'connection', message: 'connection refused' },
  208006: { name: 'TIMED_OUT', area: 'connection', message: 'timed out' },
  208007: { name: 'HOST_NOT_FOUND', area: 'connection', message: 'host name not found' },
  208008: { name: 'REST_UNAVAILABLE', area: 'rest', message: 'REST API not available' },
  208009: { name: 'TLS_HANDSHAKE_FAILED', area: 'tls', message: 'TLS handshake failed' },
  208010: { name: 'SYSTEM_RESOURCE_FAILED', area: 'rest', message: 'reading the system resource failed' },
  208011: { name: 'SCRIPT_RUN_FAILED', area: 'rest', message: 'running the script failed' },
  208101: { name: 'LIST_READ_FAILED', area: 'address-list', message: 'reading the address list failed' },
  208102: { name: 'ENTRY_ADD_FAILED', area: 'address-list', message: 'adding an entry failed' },
  208103: { name: 'ENTRY_REMOVE_FAILED', area: 'address-list', message: 'removing an entry failed' },
  208104: { name: 'ENTRY_UPDATE_FAILED', area: 'address-list', message: 'updating an entry failed' },
  208105: { name: 'ENTRY_EXISTS', area: 'address-list', message: 'entry already exists in the list' },
  208106: { name: 'ENTRY_NOT_FOUND', area: 'address-list', message: 'entry not found' },
  208401: { name: 'INVALID_JSON', area: 'reply', message: 'reply is not valid JSON' },
  208402: { name: 'UNEXPECTED_REPLY', area: 'reply', message: 'reply JSON has an unexpected shape or value' },
} as const satisfies Record<number, RouterErrorDefinition>;

export type RouterErrorCodeNumber = keyof typeof ROUTER_ERRORS;

/** Codes by constant name, e.g. `RouterErrorCode.ENTRY_EXISTS === 208105`. */
export const RouterErrorCode = Object.freeze(
  Object.fromEntries(Object.entries(ROUTER_ERRORS).map(([code, definition]) => [definition.name, Number(code)])),
) as { readonly [Code in RouterErrorCodeNumber as (typeof ROUTER_ERRORS)[Code]['name']]: Code };

/** Maximum length of `RouterError.bodyExcerpt`, in characters. */
export const BODY_EXCERPT_MAX_LENGTH = 512;

export type RouterOsPolicy = 'rest-api' | 'api' | 'read' | 'write';

export interface RouterErrorOptions {
  code: RouterErrorCodeNumber;
  router: string;
  method: string;
  path: string;
  status?: number;
  /** Raw reply body; only a bounded excerpt with secrets removed is kept. */
  body?: string;
  /** RouterOS `detail` text of an error reply. */
  detail?: string;
  /** Policy the user's group most likely lacks, for 208002. */
  policy?: RouterOsPolicy;
  /** Next step for the operator, appended to the message. */
  hint?: string;
  /** Values removed from the body excerpt, such as the router password. */
  secrets?: string[];
  cause?: unknown;
}

/**
 * Failure talking to a router. Callers branch on `code`, never on the message.
 * The error keeps which router and request failed, the HTTP status and a
 * bounded excerpt of the reply with the password removed.
 */
export class RouterError extends Error {
  readonly code: RouterErrorCodeNumber;
  readonly area: RouterErrorArea;
  readonly router: string;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly bodyExcerpt?: string;
  readonly detail?: string;
  readonly policy?: RouterOsPolicy;
  /** Troubleshooting page, relative to the package root. */
  readonly docs: string;

  constructor(options: RouterErrorOptions) {
    const definition = ROUTER_ERRORS[options.code];
    super(composeMessage(definition.message, options), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RouterError';
    this.code = options.code;
    this.area = definition.area;
    this.router = options.router;
    this.method = options.method;
    this.path = options.path;
    this.docs = errorDocsPath(options.code);
    if (options.status !== undefined) this.status = options.status;
    if (options.body !== undefined && options.body !== '') this.bodyExcerpt = excerpt(options.body, options.secrets ?? []);
    if (options.detail !== undefined) this.detail = options.detail;
    if (options.policy !== undefined) this.policy = options.policy;
  }
}

export function errorDocsPath(code: number): string {
  return `docs/errors/${code}.md`;
}

export function isRouterError(error: unknown): error is RouterError {
  return error instanceof RouterError;
}

function composeMessage(summary: string, options: RouterErrorOptions): string {
  const status = options.status === undefined ? '' : ` returned HTTP ${options.status}`;
  let message = `router ${options.router}: ${summary} (${options.method} ${options.path}${status})`;
  if (options.detail) message += `: ${options.detail}`;
  if (options.hint) message += `. ${options.hint}`;
  return `${message}. See ${errorDocsPath(options.code)}`;
}

function excerpt(body: string, secrets: string[]): string {
  let text = body;
  for (const secret of secrets) {
    if (secret !== '') text = text.split(secret).join('***');
  }
  if (text.length <= BODY_EXCERPT_MAX_LENGTH) return text;
  return `${text.slice(0, BODY_EXCERPT_MAX_LENGTH - 1)}…`;
}
