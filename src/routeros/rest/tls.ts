// TLS trust for router connections: the system CAs by default, or a given CA,
// or a pinned certificate fingerprint, or no checks at all (`insecure`).
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import type { RouterConnection } from './types.js';

/** Error code set on a connection whose certificate does not match the pinned fingerprint. */
export const FINGERPRINT_MISMATCH = 'KNOCKLIST_FINGERPRINT_MISMATCH';

export class FingerprintMismatchError extends Error {
  readonly code = FINGERPRINT_MISMATCH;
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(`certificate fingerprint ${actual || '(none presented)'} does not match the pinned ${expected}`);
    this.name = 'FingerprintMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Returns a SHA-256 fingerprint as 64 lower-case hex digits without colons,
 * the form RouterOS prints in `/certificate print detail`, or undefined when
 * the text is no SHA-256 fingerprint.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().replace(/^sha-?256[:=\s]*/i, '').replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** Returns the SHA-256 fingerprint of the certificate a TLS socket was given, normalised, or '' when none. */
export function peerFingerprint(socket: TLSSocket): string {
  const certificate = socket.getPeerCertificate();
  return certificate && typeof certificate.fingerprint256 === 'string' ? (normalizeFingerprint(certificate.fingerprint256) ?? '') : '';
}

export interface TrustSettings {
  rejectUnauthorized: boolean;
  ca?: string;
  /** Normalised pinned fingerprint. */
  fingerprint?: string;
}

/** Derives the TLS trust settings of a connection; a pinned fingerprint wins over `ca` and `insecure`. */
export function trustSettings(connection: RouterConnection): TrustSettings {
  if (connection.fingerprint !== undefined && connection.fingerprint !== '') {
    const fingerprint = normalizeFingerprint(connection.fingerprint);
    if (fingerprint === undefined) {
      throw new TypeError(
        `router ${connection.name}: invalid fingerprint ${JSON.stringify(connection.fingerprint)}: expected the SHA-256 of the certificate as 64 hex digits, colons optional`,
      );
    }
    return { rejectUnauthorized: false, fingerprint };
  }
  if (connection.insecure) return { rejectUnauthorized: false };
  if (connection.ca !== undefined && connection.ca !== '') return { rejectUnauthorized: true, ca: connection.ca };
  return { rejectUnauthorized: true };
}

/**
 * Builds the undici connector for a router. With a pinned fingerprint the
 * chain is not verified, but every new connection's certificate is compared
 * with the pin after the handshake and the socket is destroyed on a mismatch.
 * TLS session reuse is off then, so each connection presents its certificate.
 */
export function buildRouterConnector(trust: TrustSettings, connectTimeoutMs: number): buildConnector.connector {
  const options: buildConnector.BuildOptions = { rejectUnauthorized: trust.rejectUnauthorized, timeout: connectTimeoutMs };
  if (trust.ca !== undefined) options.ca = trust.ca;
  if (trust.fingerprint === undefined) return buildConnector(options);

  const pinned = trust.fingerprint;
  const connect = buildConnector({ ...options, maxCachedSessions: 0 });
  return (connectOptions, callback) => {
    connect(connectOptions, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      if (connectOptions.protocol !== 'https:') {
        callback(null, socket);
        return;
      }

      const actual = peerFingerprint(socket as TLSSocket);
      if (actual !== pinned) {
        socket.destroy();
        callback(new FingerprintMismatchError(pinned, actual), null);
        return;
      }
      callback(null, socket);
    });
  };
}
