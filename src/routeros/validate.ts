// Checks a router connection step by step, for `knocklist validate` and the
// admin API: TCP reachability, TLS, authentication, REST availability, and a
// read of the managed list in both families. Checks run in that order and stop
// at the first failure. Checks after it are left out of `checks`, so the last
// entry of a failed result is the failing one.
import { connect as connectTcp, isIP } from 'node:net';
import { checkServerIdentity, connect as connectTls, type TLSSocket } from 'node:tls';
import { errorDocsPath, RouterError, ROUTER_ERRORS, type RouterErrorCodeNumber } from './errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, RouterClient } from './rest/client.js';
import { classifyTransportFailure } from './rest/failures.js';
import { peerFingerprint, trustSettings } from './rest/tls.js';
import type { RouterClientOptions, RouterConnection } from './rest/types.js';

export type ValidationCheckName = 'reachable' | 'tls' | 'authentication' | 'rest' | 'read-list';

export interface ValidationCheck {
  check: ValidationCheckName;
  ok: boolean;
  code?: number;
  message?: string;
  docs?: string;
}

export interface ValidationResult {
  ok: boolean;
  /** SHA-256 of the certificate the router presented (lower-case hex, no colons), so a UI can offer to pin it. */
  fingerprint?: string;
  checks: ValidationCheck[];
}

export type ValidateOptions = RouterClientOptions;

interface Endpoint {
  host: string;
  port: number;
  https: boolean;
}

/**
 * Validates a router connection and the read access to `list`. Router
 * problems are reported in the result, not thrown. An invalid connection
 * setting (URL, fingerprint) raises TypeError, as it does in RouterClient.
 */
export async function validateRouter(connection: RouterConnection, list: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const trust = trustSettings(connection);
  const endpoint = parseEndpoint(connection);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const result: ValidationResult = { ok: false, checks: [] };

  const reachable = await checkReachable(endpoint, connectTimeoutMs);
  result.checks.push(reachable);
  if (!reachable.ok) return result;

  if (endpoint.https) {
    const tls = await checkTls(endpoint, trust, connectTimeoutMs, connection.insecure === true);
    if (tls.fingerprint !== undefined) result.fingerprint = tls.fingerprint;
    result.checks.push(tls.check);
    if (!tls.check.ok) return result;
  } else {
    result.checks.push({ check: 'tls', ok: true, message: 'not used: the URL is plain http, so credentials travel unencrypted' });
  }

  const client = new RouterClient(connection, options);
  try {
    if (!(await checkAuthenticationAndRest(client, result.checks))) return result;

    const readList = await checkReadList(client, list);
    result.checks.push(readList);
    result.ok = readList.ok;
    return result;
  } finally {
    await client.close();
  }
}

function parseEndpoint(connection: RouterConnection): Endpoint {
  let url: URL;
  try {
    url = new URL(connection.url);
  } catch {
    throw new TypeError(`router ${connection.name}: invalid url ${JSON.stringify(connection.url)}: expected https://host[:port]`);
  }
  const https = url.protocol === 'https:';
  if (!https && url.protocol !== 'http:') throw new TypeError(`router ${connection.name}: url must start with https:// or http://, got ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const defaultPort = https ? 443 : 80;
  return { host, port: url.port === '' ? defaultPort : Number(url.port), https };
}

function failed(check: ValidationCheckName, code: RouterErrorCodeNumber, detail: string): ValidationCheck {
  return { check, ok: false, code, message: `${ROUTER_ERRORS[code].message}: ${detail}`, docs: errorDocsPath(code) };
}

function fromRouterError(check: ValidationCheckName, error: RouterError): ValidationCheck {
  return { check, ok: false, code: error.code, message: error.message, docs: error.docs };
}

function checkReachable(endpoint: Endpoint, timeoutMs: number): Promise<ValidationCheck> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => finish(new Error('connect timed out'), true), timeoutMs);

    function finish(error: Error | undefined, timedOut = false) {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) {
        resolve({ check: 'reachable', ok: true, message: `TCP connection to ${endpoint.host} port ${endpoint.port} succeeded` });
        return;
      }
      const failure = classifyTransportFailure(error, timedOut);
      resolve(failed('reachable', failure.code, `${endpoint.host} port ${endpoint.port}: ${failure.hint}`));
    }

    socket.once('connect', () => finish(undefined));
    socket.once('error', (error) => finish(error));
  });
}

function checkTls(
  endpoint: Endpoint,
  trust: ReturnType<typeof trustSettings>,
  timeoutMs: number,
  insecure: boolean,
): Promise<{ check: ValidationCheck; fingerprint?: string }> {
  return new Promise((resolve) => {
    // Handshake without rejecting, so the presented certificate can be reported
    // (and offered for pinning) even when it is not trusted.
    const socket: TLSSocket = connectTls({
      host: endpoint.host,
      port: endpoint.port,
      rejectUnauthorized: false,
      ...(trust.ca !== undefined ? { ca: trust.ca } : {}),
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
    });
    const timer = setTimeout(() => handshakeFailed(new Error('TLS handshake timed out'), true), timeoutMs);

    function handshakeFailed(error: Error, timedOut = false) {
      clearTimeout(timer);
      socket.destroy();
      const failure = classifyTransportFailure(error, timedOut);
      const code = failure.code === 208000 ? 208009 : failure.code;
      resolve({ check: failed('tls', code, failure.hint) });
    }

    socket.once('error', (error) => handshakeFailed(error));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const fingerprint = peerFingerprint(socket);
      const certificate = socket.getPeerCertificate();
      const authorized = socket.authorized;
      const authorizationError = socket.authorizationError;
      socket.destroy();

      const withFingerprint = (check: ValidationCheck) => (fingerprint === '' ? { check } : { check, fingerprint });
      if (trust.fingerprint !== undefined) {
        if (fingerprint !== trust.fingerprint) {
          resolve(withFingerprint(failed('tls', 208004, `the router presented ${fingerprint || 'no certificate'}, pinned is ${trust.fingerprint}`)));
          return;
        }
        resolve(withFingerprint({ check: 'tls', ok: true, message: 'certificate matches the pinned fingerprint' }));
        return;
      }
      if (insecure) {
        resolve(withFingerprint({ check: 'tls', ok: true, message: 'certificate not checked because insecure is set' }));
        return;
      }

      const identityError = authorized ? checkServerIdentity(endpoint.host, certificate) : undefined;
      if (!authorized || identityError !== undefined) {
        const reason = identityError?.message ?? String(authorizationError);
        resolve(withFingerprint(failed('tls', 208003, `${reason}; set ca, pin the fingerprint ${fingerprint}, or set insecure`)));
        return;
      }
      resolve(withFingerprint({ check: 'tls', ok: true, message: 'certificate trusted' }));
    });
  });
}

/**
 * Reads `/system/resource`, which needs valid credentials, the `rest-api`,
 * `api` and `read` policies, and a REST server. A 401 or permission reply
 * fails the authentication check. A reply without JSON fails the REST check,
 * and the authentication check is left out because it could not be tested.
 */
async function checkAuthenticationAndRest(client: RouterClient, checks: ValidationCheck[]): Promise<boolean> {
  try {
    const resource = await client.systemResource();
    checks.push({ check: 'authentication', ok: true, message: 'credentials and policies accepted' });
    checks.push({ check: 'rest', ok: true, message: `REST API available on RouterOS ${resource.version}` });
    return true;
  } catch (error) {
    if (!(error instanceof RouterError)) throw error;
    if (error.code === 208001 || error.code === 208002) {
      checks.push(fromRouterError('authentication', error));
      return false;
    }
    // Any HTTP reply other than 401/403 and without JSON trouble means the credentials were accepted.
    if (error.status !== undefined && error.code !== 208008) checks.push({ check: 'authentication', ok: true, message: 'credentials accepted' });
    checks.push(fromRouterError('rest', error));
    return false;
  }
}

// NOTE: write access is not checked, because checking it would change the router.
async function checkReadList(client: RouterClient, list: string): Promise<ValidationCheck> {
  try {
    const ipv4 = await client.listEntries('ipv4', list);
    const ipv6 = await client.listEntries('ipv6', list);
    return { check: 'read-list', ok: true, message: `list ${JSON.stringify(list)} has ${ipv4.length} IPv4 and ${ipv6.length} IPv6 entries` };
  } catch (error) {
    if (!(error instanceof RouterError)) throw error;
    return fromRouterError('read-list', error);
  }
}
