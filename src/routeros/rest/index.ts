export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES, RouterClient } from './client.js';
export { parseRouterJson } from './json.js';
export { normalizeFingerprint } from './tls.js';
export type {
  AddressFamily,
  AddressListEntry,
  AddressListEntryUpdate,
  NewAddressListEntry,
  RouterClientOptions,
  RouterConnection,
  SystemResource,
} from './types.js';
export { formatRouterOsDuration, normalizeRouterOsAddress, parseRouterOsDuration, ROUTEROS_MAX_DURATION_SECONDS } from './values.js';
