// Maps transport failures (socket, DNS, TLS, undici timeouts) onto the
// RouterOS error catalogue.
import type { RouterErrorCodeNumber } from '../errors.js';
import { FINGERPRINT_MISMATCH } from './tls.js';

export interface TransportFailure {
  code: RouterErrorCodeNumber;
  hint: string;
}

// OpenSSL verification results that mean "the chain or name is not trusted",
// as Node reports them in `error.code`.
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

const HOST_NOT_FOUND_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);

/** Collects the `code` of an error, its causes and, for AggregateError, its members. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const pending: unknown[] = [error];
  // Bounded walk: a cause chain can in theory be cyclic.
  for (let step = 0; step < 16 && pending.length > 0; step += 1) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null) continue;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if ('cause' in current) pending.push((current as { cause?: unknown }).cause);
    if (current instanceof AggregateError) pending.push(...current.errors);
  }
  return codes;
}

/** Classifies an error thrown while connecting or exchanging a request; `timedOut` is true when the request deadline fired. */
export function classifyTransportFailure(error: unknown, timedOut: boolean): TransportFailure {
  if (timedOut) return { code: 208006, hint: 'the router did not reply in time; check that it is up and not overloaded' };

  const codes = errorCodes(error);
  const has = (set: Set<string>) => codes.some((code) => set.has(code));

  if (codes.includes(FINGERPRINT_MISMATCH)) {
    return { code: 208004, hint: 'the router presented another certificate; if it was replaced on purpose, pin the new fingerprint' };
  }
  if (has(UNTRUSTED_CERTIFICATE_CODES)) {
    return { code: 208003, hint: 'set `ca` to the router CA, pin the certificate with `fingerprint`, or set `insecure: true`' };
  }
  if (codes.includes('ECONNREFUSED')) {
    return { code: 208005, hint: 'check that the www-ssl (or www) service is enabled on that port and that no firewall rejects the agent' };
  }
  if (has(TIMEOUT_CODES)) return { code: 208006, hint: 'the router did not reply in time; check that it is up and not overloaded' };
  if (has(HOST_NOT_FOUND_CODES)) return { code: 208007, hint: 'check the host name in the router URL and the DNS of the knocklist host' };
  if (codes.some((code) => code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return { code: 208009, hint: 'check that the port serves HTTPS and that www-ssl has a certificate assigned' };
  }
  if (codes.includes('UND_ERR_RES_EXCEEDED_MAX_SIZE')) return { code: 208402, hint: 'the reply exceeded the maximum response size' };
  return { code: 208000, hint: 'the connection failed or was closed before the reply was complete' };
}
