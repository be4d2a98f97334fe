// RouterClient against the RouterOS emulator over real HTTPS on 127.0.0.1:
// address-list reads and writes, value formats, trust settings and the error
// code of every failure.
import { createServer } from 'node:net';
import t, { type Test } from 'tap';
import { RouterError, type RouterErrorCodeNumber } from '../src/routeros/errors.js';
import {
  formatRouterOsDuration,
  normalizeRouterOsAddress,
  parseRouterJson,
  parseRouterOsDuration,
  RouterClient,
  type RouterClientOptions,
  type RouterConnection,
} from '../src/routeros/rest/index.js';
import { ManualClock, RouterOsError } from './fixtures/routeros/address-list.js';
import { SERVICE_USER, startRouterEmulator, type RouterEmulator, type RouterEmulatorOptions } from './fixtures/routeros/emulator.js';

const WRITABLE_FIELDS = ['address', 'list', 'timeout', 'comment', 'disabled', 'dynamic'];

async function startEmulator(test: Test, options: RouterEmulatorOptions = {}): Promise<RouterEmulator> {
  const emulator = await startRouterEmulator(options);
  test.teardown(() => emulator.close());
  return emulator;
}

function connectionTo(emulator: RouterEmulator, overrides: Partial<RouterConnection> = {}): RouterConnection {
  return { name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, ca: emulator.caPem, ...overrides };
}

function openClient(test: Test, connection: RouterConnection, options?: RouterClientOptions): RouterClient {
  const client = new RouterClient(connection, options);
  test.teardown(() => client.close());
  return client;
}

async function setup(test: Test, emulatorOptions: RouterEmulatorOptions = {}, overrides: Partial<RouterConnection> = {}) {
  const emulator = await startEmulator(test, emulatorOptions);
  const client = openClient(test, connectionTo(emulator, overrides));
  return { emulator, client };
}

/** Awaits a promise that must reject with a RouterError and returns that error. */
async function routerError(test: Test, promise: Promise<unknown>, code: RouterErrorCodeNumber): Promise<RouterError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  test.type(error, RouterError, 'rejects with a RouterError');
  const routerFailure = error as RouterError;
  test.equal(routerFailure.code, code, `code ${code}: ${routerFailure.message}`);
  test.equal(routerFailure.docs, `docs/errors/${code}.md`, 'names its troubleshooting page');
  test.equal(routerFailure.router, 'edge1', 'names the router');
  return routerFailure;
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

t.test('durations format in RouterOS form', async (t) => {
  t.equal(formatRouterOsDuration(0), '0s');
  t.equal(formatRouterOsDuration(59), '59s');
  t.equal(formatRouterOsDuration(3600), '1h');
  t.equal(formatRouterOsDuration(3 * 604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5), '3w2d3h4m5s');
  t.equal(formatRouterOsDuration(90.2), '1m31s', 'fractions round up');
  t.equal(formatRouterOsDuration(-5), '0s', 'negative clamps to 0s');
  t.equal(formatRouterOsDuration(10 ** 9), '35w3d13h13m56s', 'clamped to the RouterOS maximum');
});

t.test('durations parse in old and new forms', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['1w2d21h26m28s', 604_800 + 2 * 86_400 + 21 * 3600 + 26 * 60 + 28],
    ['35w3d13h13m56s', 21_474_836],
    ['0s', 0],
    ['1d 00:00:00', 86_400],
    ['2d 01:02:03', 2 * 86_400 + 3723],
    ['12:30:00', 45_000],
    ['500ms', 0.5],
    ['45', 45],
    ['', undefined],
    ['later', undefined],
    ['1h2x', undefined],
  ];
  for (const [text, seconds] of cases) t.equal(parseRouterOsDuration(text), seconds, JSON.stringify(text));
});

t.test('addresses normalise to the stored form', async (t) => {
  const cases: Array<['ipv4' | 'ipv6', string, string]> = [
    ['ipv4', '192.0.2.1/32', '192.0.2.1'],
    ['ipv4', '192.0.2.1', '192.0.2.1'],
    ['ipv4', '1.1.1.1/24', '1.1.1.0/24'],
    ['ipv4', '0.0.0.0/0', '0.0.0.0/0'],
    ['ipv4', '192.168.0.0-192.168.1.255', '192.168.0.0/23'],
    ['ipv4', '192.168.0.1-192.168.0.5', '192.168.0.1-192.168.0.5'],
    ['ipv6', '2001:DB8::1', '2001:db8::1/128'],
    ['ipv6', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['ipv6', '2001:db8::1/64', '2001:db8::/64'],
  ];
  for (const [family, input, stored] of cases) t.equal(normalizeRouterOsAddress(family, input), stored, `${family} ${input}`);
  t.throws(() => normalizeRouterOsAddress('ipv4', '2001:db8::1'), TypeError);
  t.throws(() => normalizeRouterOsAddress('ipv6', '192.0.2.1'), TypeError);
  t.throws(() => normalizeRouterOsAddress('ipv4', '192.0.2.1/33'), TypeError);
});

t.test('tolerant JSON escapes control characters', async (t) => {
  t.same(parseRouterJson('[{"comment":"a\u001bb"}]'), [{ comment: 'a\u001bb' }]);
  t.same(parseRouterJson('{"comment":"tab\there \\"quoted\\" \\\\"}'), { comment: 'tab\there "quoted" \\' });
  t.throws(() => parseRouterJson('{"comment":'), SyntaxError);
});

t.test('listEntries reads the list in one filtered request', async (t) => {
  const clock = new ManualClock();
  const { emulator, client } = await setup(t, { clock });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1', timeout: 8 * 3600, comment: 'alice' });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.2' });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.3', disabled: true });
  emulator.tables.ipv4.add({ list: 'blocklist', address: '198.51.100.1' });
  clock.advance(1000);

  const entries = await client.listEntries('ipv4', 'grants');
  t.same(entries, [
    { id: '*1', list: 'grants', address: '192.0.2.1', timeoutSeconds: 8 * 3600 - 1, comment: 'alice', dynamic: true, disabled: false },
    { id: '*2', list: 'grants', address: '192.0.2.2', dynamic: false, disabled: false },
    { id: '*3', list: 'grants', address: '192.0.2.3', dynamic: false, disabled: true },
  ]);

  t.equal(emulator.requests.length, 1, 'one request, no per-entry lookups');
  const url = new URL(emulator.requests[0]?.path ?? '', 'https://router.test');
  t.equal(url.pathname, '/rest/ip/firewall/address-list');
  t.equal(url.searchParams.get('list'), 'grants', 'filtered by list');
  t.equal(url.searchParams.get('.proplist'), '.id,list,address,timeout,comment,dynamic,disabled');

  t.same(await client.listEntries('ipv6', 'grants'), [], 'an empty list is []');
  t.equal(emulator.requests[1]?.path.startsWith('/rest/ipv6/firewall/address-list?'), true, 'IPv6 uses the ipv6 menu');
});

t.test('listEntries parses legacy timeout output', async (t) => {
  const { emulator, client } = await setup(t, { timeoutFormat: 'legacy' });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1', timeout: 86_400 + 3723 });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.2' });

  const [timed, permanent] = await client.listEntries('ipv4', 'grants');
  t.equal(timed?.timeoutSeconds, 86_400 + 3723, '1d 01:02:03 is parsed');
  t.equal(permanent?.timeoutSeconds, undefined, '0s means no timeout');
});

t.test('added addresses come back in sent form', async (t) => {
  const { client } = await setup(t);
  const cases: Array<['ipv4' | 'ipv6', string]> = [
    ['ipv6', '2001:db8::1'],
    ['ipv4', '192.0.2.1/32'],
    ['ipv4', '192.168.0.0-192.168.1.255'],
    ['ipv4', '10.1.1.1/24'],
  ];
  for (const [family, address] of cases) {
    const added = await client.addEntry(family, { list: 'grants', address, timeoutSeconds: 3600 });
    const expected = normalizeRouterOsAddress(family, address);
    t.equal(added.address, expected, `${address} is stored as ${expected}`);

    const listed = await client.listEntries(family, 'grants');
    t.ok(
      listed.some((entry) => entry.address === normalizeRouterOsAddress(family, address)),
      `a diff on the normalised ${address} finds the entry, so it settles`,
    );
  }
});

t.test('addEntry sends only writable fields', async (t) => {
  const { emulator, client } = await setup(t);
  const added = await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1', timeoutSeconds: 90, comment: 'alice' });
  t.same(added, { id: '*1', list: 'grants', address: '192.0.2.1', timeoutSeconds: 90, comment: 'alice', dynamic: true, disabled: false });

  await client.updateEntry('ipv4', added.id, { timeoutSeconds: 7200, comment: 'bob' });
  for (const logged of emulator.requests.filter((request) => request.method === 'PUT' || request.method === 'PATCH')) {
    for (const key of Object.keys(logged.body as object)) t.ok(WRITABLE_FIELDS.includes(key), `${logged.method} sends writable field ${key}`);
  }
  t.same(emulator.requests[0]?.body, { list: 'grants', address: '192.0.2.1', timeout: '1m30s', comment: 'alice' }, 'values go out as strings');
  t.notOk(emulator.requests.some((request) => request.path.startsWith('/rest/execute')), 'never writes through /rest/execute');
});

t.test('duplicate add raises entry exists', async (t) => {
  const { emulator, client } = await setup(t);
  await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1', timeoutSeconds: 60 });

  const error = await routerError(t, client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1/32', timeoutSeconds: 60 }), 208105);
  t.equal(error.status, 400);
  t.equal(error.detail, 'failure: already have such entry');
  t.equal(error.method, 'PUT');
  t.equal(error.path, '/rest/ip/firewall/address-list');

  const [existing] = await client.listEntries('ipv4', 'grants');
  t.ok(existing, 'the caller finds the existing entry');
  const extended = await client.updateEntry('ipv4', existing?.id ?? '', { timeoutSeconds: 3600 });
  t.equal(extended.timeoutSeconds, 3600, 'and extends it instead of reconnecting');
  t.equal(emulator.tables.ipv4.size, 1);
});

t.test('updateEntry extends the timeout and clears comments', async (t) => {
  const clock = new ManualClock();
  const { client } = await setup(t, { clock });
  const added = await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1', timeoutSeconds: 600, comment: 'alice' });
  clock.advance(300_000);

  const extended = await client.updateEntry('ipv4', added.id, { timeoutSeconds: 3600 });
  t.equal(extended.timeoutSeconds, 3600, 're-granting sets the new expiry, not the old one');
  t.equal(extended.comment, 'alice');

  const cleared = await client.updateEntry('ipv4', added.id, { comment: '' });
  t.equal(cleared.comment, undefined);
  await t.rejects(client.updateEntry('ipv4', added.id, {}), TypeError, 'an empty update is a caller bug');
});

t.test('expired entry update raises not found', async (t) => {
  const clock = new ManualClock();
  const { client } = await setup(t, { clock });
  const added = await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1', timeoutSeconds: 60 });
  clock.advance(61_000);

  const error = await routerError(t, client.updateEntry('ipv4', added.id, { timeoutSeconds: 3600 }), 208106);
  t.equal(error.status, 404);
  t.same(await client.listEntries('ipv4', 'grants'), [], 'the entry vanished when its timeout ran out');
});

t.test('removeEntry reports removed then absent', async (t) => {
  const { emulator, client } = await setup(t);
  const added = await client.addEntry('ipv6', { list: 'grants', address: '2001:db8::1' });
  t.equal(await client.removeEntry('ipv6', added.id), 'removed');
  t.equal(await client.removeEntry('ipv6', added.id), 'absent');
  t.equal(emulator.requests.at(-1)?.path, '/rest/ipv6/firewall/address-list/*1', 'the id is sent with its star');
});

// An entry whose timeout runs out between the router looking up its id and
// acting on it gets 400 "no such item" instead of 404.
t.test('entry expiring mid-request counts as gone', async (t) => {
  const { emulator, client } = await setup(t);
  const added = await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1', timeoutSeconds: 60 });
  const table = emulator.tables.ipv4;
  table.remove = () => {
    throw new RouterOsError('no such item');
  };
  table.set = () => {
    throw new RouterOsError('no such item');
  };

  t.equal(await client.removeEntry('ipv4', added.id), 'absent', 'a DELETE answered with no such item is absent');
  t.equal(emulator.requests.at(-1)?.method, 'DELETE', 'the DELETE reached the router');
  const error = await routerError(t, client.updateEntry('ipv4', added.id, { timeoutSeconds: 3600 }), 208106);
  t.equal(error.status, 400, 'a PATCH answered with no such item is 208106');
});

t.test('ids without star are rejected before sending', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1' });
  await t.rejects(client.removeEntry('ipv4', '1'), TypeError);
  await t.rejects(client.updateEntry('ipv4', '1', { comment: 'x' }), TypeError);
  t.equal(emulator.requests.length, 0, 'nothing was sent');
  t.equal(emulator.tables.ipv4.size, 1);
});

t.test('empty write replies are accepted', async (t) => {
  const { emulator, client } = await setup(t, { writeReplies: 'empty' });
  const added = await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1/32', timeoutSeconds: 60 });
  t.equal(added.id, '*1', 'the new entry is found by reading the list back');
  t.equal(added.address, '192.0.2.1');

  const updated = await client.updateEntry('ipv4', added.id, { comment: 'alice' });
  t.equal(updated.comment, 'alice', 'the updated entry is read back');
  t.equal(emulator.tables.ipv4.size, 1);
});

t.test('control character in comment is parsed', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1', comment: 'user \u001b[31mred' });
  const [entry] = await client.listEntries('ipv4', 'grants');
  t.equal(entry?.comment, 'user \u001b[31mred');
});

t.test('dynamic children are marked dynamic', async (t) => {
  const { emulator, client } = await setup(t, { resolveDnsName: () => ['198.51.100.7'] });
  emulator.tables.ipv4.add({ list: 'grants', address: 'vpn.example.net' });
  const entries = await client.listEntries('ipv4', 'grants');
  const child = entries.find((entry) => entry.address === '198.51.100.7');
  t.equal(child?.dynamic, true, 'an agent can tell rows it did not create');
  t.equal(child?.comment, 'vpn.example.net');
});

t.test('systemResource shows uptime drop after reboot', async (t) => {
  const clock = new ManualClock();
  const { emulator, client } = await setup(t, { clock });
  await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1', timeoutSeconds: 86_400 });
  clock.advance(2 * 86_400 * 1000);

  const before = await client.systemResource();
  t.same(before, { uptimeSeconds: 2 * 86_400, version: '7.16.2 (stable)', boardName: 'CHR' });

  emulator.reboot();
  clock.advance(30_000);
  const after = await client.systemResource();
  t.ok(after.uptimeSeconds < before.uptimeSeconds, 'uptime dropped, so the caller knows timed entries are gone');
  t.same(await client.listEntries('ipv4', 'grants'), [], 'timed entries did not survive the reboot');
});

t.test('runScript runs the script by name', async (t) => {
  const { emulator, client } = await setup(t, { scripts: { 'knocklist-import': ':log info import' } });
  await client.runScript('knocklist-import');
  t.equal(emulator.scripts.get('knocklist-import')?.runCount, 1);
  t.same(emulator.requests.at(-1), { method: 'POST', path: '/rest/system/script/run', body: { '.id': 'knocklist-import' } });

  const error = await routerError(t, client.runScript('absent'), 208011);
  t.equal(error.detail, 'no such item');
});

t.test('wrong password raises 208001', async (t) => {
  const { client } = await setup(t, {}, { password: 'wrong' });
  const error = await routerError(t, client.listEntries('ipv4', 'grants'), 208001);
  t.equal(error.status, 401);
  t.match(error.message, /rest-api/, 'the message hints that a missing rest-api policy also gives 401');
  t.notMatch(error.bodyExcerpt ?? '', /wrong/, 'the excerpt never contains the password');
});

t.test('missing rest-api policy raises 208001', async (t) => {
  const emulator = await startEmulator(t);
  emulator.users.addGroup('no-rest', ['api', 'read', 'write']);
  emulator.users.add({ name: 'agent', password: 'secret', group: 'no-rest' });
  const client = openClient(t, connectionTo(emulator, { username: 'agent', password: 'secret' }));
  await routerError(t, client.listEntries('ipv4', 'grants'), 208001);
});

t.test('missing policies raise 208002 naming the policy', async (t) => {
  const emulator = await startEmulator(t);
  emulator.users.addGroup('no-api', ['rest-api', 'read', 'write']);
  emulator.users.addGroup('no-read', ['api', 'rest-api', 'write']);
  emulator.users.addGroup('no-write', ['api', 'rest-api', 'read']);
  for (const group of ['no-api', 'no-read', 'no-write']) emulator.users.add({ name: group, password: 'secret', group });
  const clientFor = (name: string) => openClient(t, connectionTo(emulator, { username: name, password: 'secret' }));

  const noApi = await routerError(t, clientFor('no-api').listEntries('ipv4', 'grants'), 208002);
  t.equal(noApi.policy, 'api');
  t.equal(noApi.status, 500);
  t.equal(noApi.detail, 'std failure: not allowed (9)');

  const noRead = await routerError(t, clientFor('no-read').listEntries('ipv4', 'grants'), 208002);
  t.equal(noRead.policy, 'read');

  const noWrite = await routerError(t, clientFor('no-write').addEntry('ipv4', { list: 'grants', address: '192.0.2.1' }), 208002);
  t.equal(noWrite.policy, 'write');
  t.match(noWrite.message, /write policy/);
});

t.test('self-signed certificate without trust raises 208003', async (t) => {
  const emulator = await startEmulator(t);
  const client = openClient(t, connectionTo(emulator, { ca: undefined }));
  await routerError(t, client.systemResource(), 208003);
  t.equal(emulator.requests.length, 0, 'no request reached the router');
});

t.test('trust settings ca, insecure and fingerprint', async (t) => {
  const emulator = await startEmulator(t);
  const colonUpper = emulator.fingerprint.toUpperCase().match(/../g)?.join(':') ?? '';
  const settings: Array<[string, Partial<RouterConnection>]> = [
    ['ca', { ca: emulator.caPem }],
    ['insecure', { ca: undefined, insecure: true }],
    ['fingerprint lower hex', { ca: undefined, fingerprint: emulator.fingerprint }],
    ['fingerprint with colons, upper case', { ca: undefined, fingerprint: colonUpper }],
  ];
  for (const [label, overrides] of settings) {
    const client = openClient(t, connectionTo(emulator, overrides));
    const resource = await client.systemResource();
    t.equal(resource.boardName, 'CHR', label);
  }
  t.throws(() => new RouterClient(connectionTo(emulator, { fingerprint: 'abc' })), TypeError, 'an invalid fingerprint is rejected');
});

t.test('wrong fingerprint raises 208004', async (t) => {
  const emulator = await startEmulator(t);
  const client = openClient(t, connectionTo(emulator, { ca: undefined, fingerprint: 'ab'.repeat(32) }));
  await routerError(t, client.systemResource(), 208004);
  t.equal(emulator.requests.length, 0, 'credentials were never sent');
});

t.test('pin is checked on every new connection', async (t) => {
  const emulator = await startEmulator(t);
  const client = openClient(t, connectionTo(emulator, { ca: undefined, fingerprint: emulator.fingerprint }));
  await client.systemResource();

  emulator.setCertificate('router-replaced');
  await routerError(t, client.systemResource(), 208004);
  t.equal(emulator.requests.length, 1, 'the request on the new connection never reached the router');
});

t.test('refused port raises 208005', async (t) => {
  const port = await unusedPort();
  const client = openClient(t, { name: 'edge1', url: `https://127.0.0.1:${port}`, username: 'a', password: 'b', insecure: true });
  await routerError(t, client.systemResource(), 208005);
});

t.test('hanging router raises 208006', async (t) => {
  const emulator = await startEmulator(t);
  const client = openClient(t, connectionTo(emulator), { timeoutMs: 200 });
  emulator.failNext(1, 'hang');
  const started = performance.now();
  await routerError(t, client.listEntries('ipv4', 'grants'), 208006);
  t.ok(performance.now() - started < 5000, 'gave up near the configured timeout');

  t.same(await client.listEntries('ipv4', 'grants'), [], 'the client works again afterwards');
});

t.test('slow router raises 208006', async (t) => {
  const emulator = await startEmulator(t, { latencyMs: 400 });
  const client = openClient(t, connectionTo(emulator), { timeoutMs: 150 });
  await routerError(t, client.systemResource(), 208006);
});

t.test('unknown host raises 208007', async (t) => {
  const client = openClient(t, { name: 'edge1', url: 'https://router.knocklist-test.invalid', username: 'a', password: 'b' }, { timeoutMs: 5000 });
  await routerError(t, client.systemResource(), 208007);
});

t.test('HTML instead of JSON raises 208008', async (t) => {
  const { emulator, client } = await setup(t, { rest: false });
  const error = await routerError(t, client.systemResource(), 208008);
  t.equal(error.status, 404);
  t.match(error.bodyExcerpt, /<html>/);

  emulator.setRestEnabled(true);
  emulator.failNext(1, 'html');
  await routerError(t, client.listEntries('ipv4', 'grants'), 208008);
});

t.test('plain HTTP port on https url raises 208009', async (t) => {
  const emulator = await startEmulator(t, { protocol: 'http' });
  const client = openClient(t, connectionTo(emulator, { url: emulator.url.replace('http:', 'https:') }));
  await routerError(t, client.systemResource(), 208009);
});

t.test('plain HTTP router works over http url', async (t) => {
  const { client } = await setup(t, { protocol: 'http' });
  t.equal((await client.systemResource()).boardName, 'CHR');
});

t.test('connection reset is retried once', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.failNext(1, 'reset');
  t.same(await client.listEntries('ipv4', 'grants'), [], 'one reset is retried on a new connection');
  t.equal(emulator.requests.length, 2);
});

t.test('repeated connection reset raises 208000', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.failNext(2, 'reset');
  await routerError(t, client.listEntries('ipv4', 'grants'), 208000);
  t.equal(emulator.requests.length, 2, 'retried once, not in a loop');
});

t.test('garbage JSON raises 208401', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.failNext(1, 'garbage');
  const error = await routerError(t, client.listEntries('ipv4', 'grants'), 208401);
  t.equal(error.status, 200);
  t.match(error.bodyExcerpt, /^\[\{".id"/);
});

t.test('router error on read raises 208101', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.failNext(1, 'status500');
  const error = await routerError(t, client.listEntries('ipv4', 'grants'), 208101);
  t.equal(error.status, 500);
  t.equal(error.detail, 'Internal Server Error');
});

t.test('rejected add raises 208102 with detail', async (t) => {
  const { client } = await setup(t);
  const error = await routerError(t, client.addEntry('ipv4', { list: 'grants', address: '2001:db8::1' }), 208102);
  t.equal(error.detail, '2001:db8::1 is not a valid dns name');
});

t.test('router error on remove and update', async (t) => {
  const { emulator, client } = await setup(t);
  const added = await client.addEntry('ipv4', { list: 'grants', address: '192.0.2.1' });
  emulator.failNext(1, 'status500');
  await routerError(t, client.removeEntry('ipv4', added.id), 208103);
  emulator.failNext(1, 'status500');
  await routerError(t, client.updateEntry('ipv4', added.id, { comment: 'x' }), 208104);
});

t.test('unexpected shape raises 208402', async (t) => {
  const { emulator, client } = await setup(t);
  emulator.failNext(1, 'shape');
  const error = await routerError(t, client.listEntries('ipv4', 'grants'), 208402);
  t.match(error.message, /\.id/, 'the message names the missing field');

  emulator.failNext(1, 'shape');
  await routerError(t, client.systemResource(), 208402);
});

t.test('error excerpt is bounded and hides the password', async (t) => {
  const password = 'hunter2-very-secret';
  const body = `{"detail":"echo ${password}","pad":"${'x'.repeat(2000)}"}`;
  const error = new RouterError({ code: 208101, router: 'edge1', method: 'GET', path: '/rest/ip/firewall/address-list', status: 500, body, secrets: [password] });
  t.ok((error.bodyExcerpt ?? '').length <= 512, 'at most 512 characters');
  t.notMatch(error.bodyExcerpt ?? '', password);
  t.match(error.bodyExcerpt ?? '', 'echo ***');
});

t.test('invalid connection settings are rejected', async (t) => {
  const base = { name: 'edge1', username: 'a', password: 'b' };
  t.throws(() => new RouterClient({ ...base, url: 'ftp://192.0.2.1' }), TypeError);
  t.throws(() => new RouterClient({ ...base, url: 'https://a:b@192.0.2.1' }), TypeError);
  t.throws(() => new RouterClient({ ...base, url: 'not a url' }), TypeError);
  t.throws(() => new RouterClient({ ...base, url: 'https://192.0.2.1' }, { timeoutMs: 0 }), TypeError);
});
