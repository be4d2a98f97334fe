// RouterOS v7 REST client for firewall address lists. One undici Client (a
// single connection) per router, because RouterOS handles REST requests one at
// a time anyway. The client does not log: it returns results and raises
// RouterError with a code from the catalogue.
import { Client, type Dispatcher } from 'undici';
import { RouterError, type RouterErrorCodeNumber, type RouterOsPolicy } from '../errors.js';
import { classifyTransportFailure } from './failures.js';
import { parseRouterJson } from './json.js';
import { buildRouterConnector, trustSettings } from './tls.js';
import type {
  AddressFamily,
  AddressListEntry,
  AddressListEntryUpdate,
  NewAddressListEntry,
  RouterClientOptions,
  RouterConnection,
  SystemResource,
} from './types.js';
import { formatRouterOsDuration, normalizeRouterOsAddress, parseRouterOsDuration } from './values.js';

export const DEFAULT_TIMEOUT_MS = 50_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Largest reply accepted, in bytes; a list of 30,000 entries is a few MB. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const ENTRY_PROPERTIES = '.id,list,address,timeout,comment,dynamic,disabled';
const ROUTEROS_ID = /^\*[0-9A-Fa-f]+$/;

interface Operation {
  /** Code raised when the router replies with an error this request does not handle itself. */
  code: RouterErrorCodeNumber;
  access: 'read' | 'write';
}

const READ_LIST: Operation = { code: 208101, access: 'read' };
const ADD_ENTRY: Operation = { code: 208102, access: 'write' };
const REMOVE_ENTRY: Operation = { code: 208103, access: 'write' };
const UPDATE_ENTRY: Operation = { code: 208104, access: 'write' };
const READ_RESOURCE: Operation = { code: 208010, access: 'read' };
const RUN_SCRIPT: Operation = { code: 208011, access: 'write' };

interface RouterReply {
  method: string;
  path: string;
  status: number;
  text: string;
  /** Parsed JSON, or undefined for an empty body. */
  value: unknown;
}

interface ErrorBody {
  detail?: string;
  message?: string;
}

export class RouterClient {
  readonly name: string;
  readonly #connection: RouterConnection;
  readonly #client: Client;
  readonly #basePath: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;

  constructor(connection: RouterConnection, options: RouterClientOptions = {}) {
    this.name = connection.name;
    this.#connection = connection;

    const url = parseRouterUrl(connection);
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = positiveOption(connection.name, 'timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const connectTimeoutMs = Math.min(
      this.#timeoutMs,
      positiveOption(connection.name, 'connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    );
    this.#authorization = `Basic ${Buffer.from(`${connection.username}:${connection.password}`, 'utf8').toString('base64')}`;

    this.#client = new Client(url.origin, {
      connect: buildRouterConnector(trustSettings(connection), connectTimeoutMs),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
      pipelining: 1,
    });
  }

  /**
   * Reads one address list with a single GET filtered by list name, because
   * per-entry requests and unfiltered scans time out on large tables.
   */
  async listEntries(family: AddressFamily, list: string): Promise<AddressListEntry[]> {
    const query = new URLSearchParams({ list, '.proplist': ENTRY_PROPERTIES });
    const reply = await this.#send('GET', `${addressListPath(family)}?${query}`, READ_LIST);
    if (reply.status >= 400) throw this.#replyError(reply, READ_LIST);

    const records = asRecords(reply.value);
    if (records === undefined) throw this.#shapeError(reply, 'expected an array of entries');
    const entries: AddressListEntry[] = [];
    for (const record of records) {
      const entry = parseEntry(record);
      if (typeof entry === 'string') throw this.#shapeError(reply, entry);
      // RouterOS filters by exact equality already; this keeps a router that ignores the filter from leaking other lists in.
      if (entry.list === list) entries.push(entry);
    }
    return entries;
  }

  /**
   * Adds an entry and returns it as stored. A duplicate list + address raises
   * RouterError 208105 (ENTRY_EXISTS), so the caller can find the entry and
   * update it instead of treating the reply as a transport failure.
   */
  async addEntry(family: AddressFamily, entry: NewAddressListEntry): Promise<AddressListEntry> {
    const address = normalizeOrKeep(family, entry.address);
    const body: Record<string, string> = { list: entry.list, address };
    if (entry.timeoutSeconds !== undefined) body.timeout = formatRouterOsDuration(entry.timeoutSeconds);
    if (entry.comment !== undefined && entry.comment !== '') body.comment = entry.comment;

    const reply = await this.#send('PUT', addressListPath(family), ADD_ENTRY, body);
    if (reply.status >= 400) {
      const detail = errorBody(reply.value).detail ?? '';
      if (/already have such entry/i.test(detail)) throw this.#replyError(reply, { ...ADD_ENTRY, code: 208105 });
      throw this.#replyError(reply, ADD_ENTRY);
    }

    const created = firstRecord(reply.value);
    if (created !== undefined && '.id' in created) {
      const parsed = parseEntry(created);
      if (typeof parsed === 'string') throw this.#shapeError(reply, parsed);
      return parsed;
    }

    // Some RouterOS commands reply with `[]` or only `{"ret":"*2"}`, so read the list back.
    const stored = (await this.listEntries(family, entry.list)).find((candidate) => candidate.address === address);
    if (stored === undefined) throw this.#shapeError(reply, 'the reply did not contain the new entry and it was not found in the list');
    return stored;
  }

  /** Changes the timeout and/or comment of an entry; a missing id raises RouterError 208106 (ENTRY_NOT_FOUND). */
  async updateEntry(family: AddressFamily, id: string, update: AddressListEntryUpdate): Promise<AddressListEntry> {
    const path = entryPath(family, id);
    const body: Record<string, string> = {};
    if (update.timeoutSeconds !== undefined) body.timeout = formatRouterOsDuration(update.timeoutSeconds);
    if (update.comment !== undefined) body.comment = update.comment;
    if (Object.keys(body).length === 0) throw new TypeError('updateEntry needs timeoutSeconds or comment');

    const reply = await this.#send('PATCH', path, UPDATE_ENTRY, body);
    if (reply.status === 404 || isNoSuchItem(reply)) throw this.#replyError(reply, { ...UPDATE_ENTRY, code: 208106 });
    if (reply.status >= 400) throw this.#replyError(reply, UPDATE_ENTRY);

    let record = firstRecord(reply.value);
    let source = reply;
    if (record === undefined || !('.id' in record)) {
      source = await this.#send('GET', path, UPDATE_ENTRY);
      if (source.status === 404) throw this.#replyError(source, { ...UPDATE_ENTRY, code: 208106 });
      if (source.status >= 400) throw this.#replyError(source, UPDATE_ENTRY);
      record = firstRecord(source.value);
    }
    if (record === undefined) throw this.#shapeError(source, 'expected the updated entry');
    const parsed = parseEntry(record);
    if (typeof parsed === 'string') throw this.#shapeError(source, parsed);
    return parsed;
  }

  /** Removes an entry; returns 'absent' when the router no longer has that id (404, or 400 `no such item`). */
  async removeEntry(family: AddressFamily, id: string): Promise<'removed' | 'absent'> {
    const reply = await this.#send('DELETE', entryPath(family, id), REMOVE_ENTRY);
    if (reply.status === 404 || isNoSuchItem(reply)) return 'absent';
    if (reply.status >= 400) throw this.#replyError(reply, REMOVE_ENTRY);
    return 'removed';
  }

  /** Reads `/system resource`; a drop in `uptimeSeconds` means the router rebooted and lost every timed entry. */
  async systemResource(): Promise<SystemResource> {
    const reply = await this.#send('GET', '/rest/system/resource', READ_RESOURCE);
    if (reply.status >= 400) throw this.#replyError(reply, READ_RESOURCE);

    const record = firstRecord(reply.value);
    if (record === undefined) throw this.#shapeError(reply, 'expected an object');
    const uptimeSeconds = typeof record.uptime === 'string' ? parseRouterOsDuration(record.uptime) : undefined;
    if (uptimeSeconds === undefined) throw this.#shapeError(reply, 'missing or invalid uptime');
    if (typeof record.version !== 'string' || record.version === '') throw this.#shapeError(reply, 'missing version');

    const resource: SystemResource = { uptimeSeconds, version: record.version };
    if (typeof record['board-name'] === 'string') resource.boardName = record['board-name'];
    return resource;
  }

  /** Runs a script by name (RouterOS accepts a script's name as its `.id`). */
  async runScript(name: string): Promise<void> {
    const reply = await this.#send('POST', '/rest/system/script/run', RUN_SCRIPT, { '.id': name });
    if (reply.status >= 400) throw this.#replyError(reply, RUN_SCRIPT);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /**
   * Sends one request and returns the reply. Raises RouterError for transport
   * failures, authentication and permission errors, replies without JSON and
   * invalid JSON; other HTTP errors are left to the caller.
   */
  async #send(method: string, path: string, operation: Operation, body?: Record<string, string>): Promise<RouterReply> {
    const fullPath = `${this.#basePath}${path}`;
    const headers: Record<string, string> = { authorization: this.#authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';

    const deadline = AbortSignal.timeout(this.#timeoutMs);
    let status = 0;
    let contentType = '';
    let text = '';
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await this.#client.request({
          method: method as Dispatcher.HttpMethod,
          path: fullPath,
          headers,
          body: body === undefined ? null : JSON.stringify(body),
          signal: deadline,
        });
        status = response.statusCode;
        contentType = String(response.headers['content-type'] ?? '');
        text = await response.body.text();
        break;
      } catch (error) {
        // A kept-alive connection that the router closed (idle timeout, reboot)
        // fails the next request before any reply, so one retry goes out on a
        // new connection. NOTE: if the router did process a PUT before the
        // reset, the retry raises 208105 and the caller treats the entry as existing.
        if (attempt === 1 && !deadline.aborted && isClosedConnection(error)) continue;
        const failure = classifyTransportFailure(error, deadline.aborted);
        throw this.#error({ code: failure.code, method, path: fullPath, hint: failure.hint, cause: error });
      }
    }

    const reply: RouterReply = { method, path: fullPath, status, text, value: undefined };

    // RouterOS returns 401 both for a wrong password and for a group without `rest-api`.
    if (status === 401) {
      throw this.#error({
        code: 208001,
        method,
        path: fullPath,
        status,
        body: text,
        hint: 'check username and password, that the user is enabled and its Allowed Address includes knocklist, and that its group has the rest-api policy (a missing rest-api policy also returns 401)',
      });
    }
    if (status === 403) {
      throw this.#error({ code: 208002, method, path: fullPath, status, body: text, policy: 'rest-api', hint: 'add the rest-api policy to the user group' });
    }

    if (text.trim() !== '' && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
      throw this.#error({
        code: 208008,
        method,
        path: fullPath,
        status,
        body: text,
        hint: `the reply was ${contentType || 'of no content type'}, not JSON; REST needs RouterOS 7.1 or later and the URL of the router's www-ssl (or www) service`,
      });
    }

    if (text.trim() !== '') {
      try {
        reply.value = parseRouterJson(text);
      } catch (error) {
        throw this.#error({ code: 208401, method, path: fullPath, status, body: text, cause: error });
      }
    }

    if (status >= 400) this.#raisePermissionError(reply, operation);
    return reply;
  }

  // RouterOS reports a missing `api` policy as 500 `not allowed (9)` and a
  // missing `read` or `write` policy as 500 `not enough permissions (9)`.
  #raisePermissionError(reply: RouterReply, operation: Operation): void {
    const detail = errorBody(reply.value).detail;
    if (detail === undefined) return;

    let policy: RouterOsPolicy | undefined;
    if (/not allowed/i.test(detail)) policy = 'api';
    else if (/not enough permissions/i.test(detail)) policy = operation.access;
    if (policy === undefined) return;

    throw this.#error({
      code: 208002,
      method: reply.method,
      path: reply.path,
      status: reply.status,
      body: reply.text,
      detail,
      policy,
      hint: `add the ${policy} policy to the user group (the service account needs api, rest-api, read and write)`,
    });
  }

  #replyError(reply: RouterReply, operation: Operation): RouterError {
    const body = errorBody(reply.value);
    return this.#error({
      code: operation.code,
      method: reply.method,
      path: reply.path,
      status: reply.status,
      body: reply.text,
      ...(body.detail !== undefined || body.message !== undefined ? { detail: body.detail ?? body.message } : {}),
    });
  }

  #shapeError(reply: RouterReply, problem: string): RouterError {
    return this.#error({ code: 208402, method: reply.method, path: reply.path, status: reply.status, body: reply.text, hint: problem });
  }

  #error(options: Omit<ConstructorParameters<typeof RouterError>[0], 'router' | 'secrets'>): RouterError {
    const { password, username } = this.#connection;
    const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    return new RouterError({ ...options, router: this.name, secrets: [password, basic] });
  }
}

function parseRouterUrl(connection: RouterConnection): URL {
  let url: URL;
  try {
    url = new URL(connection.url);
  } catch {
    throw new TypeError(`router ${connection.name}: invalid url ${JSON.stringify(connection.url)}: expected https://host[:port]`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`router ${connection.name}: url must start with https:// or http://, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`router ${connection.name}: url must not contain credentials; set username and password instead`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`router ${connection.name}: url must not contain a query or fragment`);
  }
  return url;
}

function positiveOption(router: string, option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`router ${router}: ${option} must be a positive number of milliseconds, got ${value}`);
  return value;
}

function addressListPath(family: AddressFamily): string {
  return family === 'ipv4' ? '/rest/ip/firewall/address-list' : '/rest/ipv6/firewall/address-list';
}

// A bare number would be read by RouterOS as a print position and could hit
// another entry, so only ids with their `*` are sent.
function entryPath(family: AddressFamily, id: string): string {
  if (!ROUTEROS_ID.test(id)) throw new TypeError(`invalid RouterOS id ${JSON.stringify(id)}: expected "*" followed by hex digits, as returned by the router`);
  return `${addressListPath(family)}/${encodeURIComponent(id)}`;
}

function normalizeOrKeep(family: AddressFamily, address: string): string {
  try {
    return normalizeRouterOsAddress(family, address);
  } catch {
    // Not an address of this family: send it as given and let RouterOS decide (it may be a DNS name).
    return address;
  }
}

function isClosedConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Accepts an array of objects, a single object or nothing, since RouterOS varies between them. */
function asRecords(value: unknown): Record<string, unknown>[] | undefined {
  if (value === undefined) return [];
  if (isRecord(value)) return [value];
  if (Array.isArray(value) && value.every(isRecord)) return value;
  return undefined;
}

function firstRecord(value: unknown): Record<string, unknown> | undefined {
  return asRecords(value)?.[0];
}

// An entry that timed out between the router finding its id and acting on
// it is reported as 400 "no such item" rather than 404; both mean it is gone.
function isNoSuchItem(reply: RouterReply): boolean {
  return reply.status === 400 && /^no such item/i.test(errorBody(reply.value).detail ?? '');
}

function errorBody(value: unknown): ErrorBody {
  if (!isRecord(value)) return {};
  const body: ErrorBody = {};
  if (typeof value.detail === 'string') body.detail = value.detail;
  if (typeof value.message === 'string') body.message = value.message;
  return body;
}

/** Converts a scalar the way RouterOS means it: every value arrives as a string. */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function parseBoolean(value: unknown): boolean | undefined {
  const text = asText(value);
  if (text === undefined) return false;
  if (text === 'true' || text === 'yes') return true;
  if (text === 'false' || text === 'no' || text === '') return false;
  return undefined;
}

/** Parses one address-list record; returns a description of the problem when the record is unusable. */
function parseEntry(record: Record<string, unknown>): AddressListEntry | string {
  const id = asText(record['.id']);
  if (id === undefined || !ROUTEROS_ID.test(id)) return `entry without a valid .id: ${JSON.stringify(record['.id'])}`;
  const list = asText(record.list);
  const address = asText(record.address);
  if (list === undefined || address === undefined) return `entry ${id} without list or address`;

  const dynamic = parseBoolean(record.dynamic);
  const disabled = parseBoolean(record.disabled);
  if (dynamic === undefined || disabled === undefined) return `entry ${id} with a non-boolean dynamic or disabled value`;

  const entry: AddressListEntry = { id, list, address, dynamic, disabled };

  // Static entries carry no timeout on recent RouterOS and "0s" on older ones.
  const timeout = asText(record.timeout);
  if (timeout !== undefined && timeout !== '' && timeout !== '0s') {
    const seconds = parseRouterOsDuration(timeout);
    if (seconds === undefined) return `entry ${id} with an invalid timeout ${JSON.stringify(timeout)}`;
    if (seconds > 0) entry.timeoutSeconds = seconds;
  }

  const comment = asText(record.comment);
  if (comment !== undefined && comment !== '') entry.comment = comment;
  return entry;
}
