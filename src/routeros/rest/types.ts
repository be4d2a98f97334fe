export type AddressFamily = 'ipv4' | 'ipv6';

/** How to reach one router, as configured under a knoc's `routers:`. */
export interface RouterConnection {
  name: string;
  /** `https://host[:port]` or `http://host[:port]`; a path is taken as a prefix before `/rest`. */
  url: string;
  username: string;
  password: string;
  /** Skips every certificate check. */
  insecure?: boolean;
  /** PEM text of the CA (or the self-signed certificate) to trust. */
  ca?: string;
  /** SHA-256 of the router certificate's DER encoding, hex, colons optional, any case. */
  fingerprint?: string;
}

export interface RouterClientOptions {
  /** Deadline for one request, connect to last body byte, in milliseconds (default 50,000, under the router's 60 s cut). */
  timeoutMs?: number;
  /** Deadline for TCP connect plus TLS handshake, in milliseconds (default 10,000, capped at `timeoutMs`). */
  connectTimeoutMs?: number;
}

export interface AddressListEntry {
  /** RouterOS id with its `*`, sent back exactly as returned. */
  id: string;
  list: string;
  address: string;
  /** Remaining seconds; absent for entries without a timeout. */
  timeoutSeconds?: number;
  comment?: string;
  dynamic: boolean;
  disabled: boolean;
}

export interface NewAddressListEntry {
  list: string;
  address: string;
  /** Seconds, rounded up and clamped to the RouterOS maximum of 35w3d13h13m56s. */
  timeoutSeconds?: number;
  comment?: string;
}

export interface AddressListEntryUpdate {
  timeoutSeconds?: number;
  /** An empty string removes the comment. */
  comment?: string;
}

export interface SystemResource {
  uptimeSeconds: number;
  /** As RouterOS prints it, e.g. `7.16.2 (stable)`. */
  version: string;
  boardName?: string;
}
