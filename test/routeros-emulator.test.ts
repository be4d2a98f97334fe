// The RouterOS fixtures behave like a RouterOS v7 router: the address-list
// table directly, and the REST emulator over real HTTPS on 127.0.0.1.
import t, { type Test } from 'tap';
import { Agent, request } from 'undici';
import {
  AddressListTable,
  formatDuration,
  ManualClock,
  normalizeAddress,
  parseDuration,
  RouterOsError,
} from './fixtures/routeros/address-list.js';
import { ADMIN_USER, SERVICE_USER, startRouterEmulator, type RouterEmulator, type RouterEmulatorOptions } from './fixtures/routeros/emulator.js';

interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

function basic(user: { name: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`;
}

async function startEmulator(test: Test, options: RouterEmulatorOptions = {}) {
  const emulator = await startRouterEmulator(options);
  test.teardown(() => emulator.close());
  const agent = new Agent({ connect: { ca: emulator.caPem } });
  test.teardown(() => agent.close());

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    user: { name: string; password: string } = SERVICE_USER,
  ): Promise<Reply> => {
    const response = await request(`${emulator.url}${path}`, {
      method: method as 'GET',
      headers: { authorization: basic(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await response.body.text();
    const contentType = String(response.headers['content-type'] ?? '');
    const json = contentType.startsWith('application/json') && text !== '' ? JSON.parse(text) : undefined;
    return { status: response.statusCode, contentType, text, json };
  };
  return { emulator, call };
}

function addressListOf(emulator: RouterEmulator) {
  return emulator.tables.ipv4.all().map((entry) => entry.address);
}

t.test('table normalises addresses like RouterOS', async (t) => {
  const cases: Array<[family: 'ipv4' | 'ipv6', input: string, stored: string]> = [
    ['ipv4', '192.0.2.1/32', '192.0.2.1'],
    ['ipv4', '192.0.2.1', '192.0.2.1'],
    ['ipv4', '1.1.1.1/24', '1.1.1.0/24'],
    ['ipv4', '192.168.0.0-192.168.1.255', '192.168.0.0/23'],
    ['ipv4', '192.168.0.1-192.168.0.5', '192.168.0.1-192.168.0.5'],
    ['ipv4', '10.0.0.7-10.0.0.7', '10.0.0.7'],
    ['ipv6', '2001:DB8::1', '2001:db8::1/128'],
    ['ipv6', '2001:db8:0:0:0:0:0:1/128', '2001:db8::1/128'],
    ['ipv6', '2001:db8::1/64', '2001:db8::/64'],
  ];
  for (const [family, input, stored] of cases) {
    const table = new AddressListTable(family);
    t.equal(table.add({ list: 'grants', address: input }).address, stored, `${family} ${input}`);
  }
  t.same(normalizeAddress('ipv4', 'vpn.example.net'), { kind: 'dns-name', name: 'vpn.example.net' });
  t.same(normalizeAddress('ipv4', 'not an address'), { kind: 'invalid' });
});

t.test('table rejects duplicates and wrong families', async (t) => {
  const table = new AddressListTable('ipv4');
  table.add({ list: 'grants', address: '192.0.2.1' });

  t.throws(() => table.add({ list: 'grants', address: '192.0.2.1/32' }), new RouterOsError('failure: already have such entry'));
  t.equal(table.add({ list: 'other', address: '192.0.2.1' }).list, 'other', 'same address in another list is allowed');
  t.throws(() => table.add({ list: 'grants', address: '2001:db8::1' }), { name: 'RouterOsError', detail: '2001:db8::1 is not a valid dns name' });

  const dnsEntry = table.add({ list: 'grants', address: 'vpn.example.net' });
  t.equal(dnsEntry.address, 'vpn.example.net', 'a name is stored as a DNS-name entry');
});

t.test('table ids are star and uppercase hex', async (t) => {
  const table = new AddressListTable('ipv4');
  const ids = Array.from({ length: 11 }, (_, index) => table.add({ list: 'grants', address: `192.0.2.${index + 1}` }).id);
  t.equal(ids[0], '*1');
  t.equal(ids[9], '*A');
  t.equal(ids[10], '*B');
  t.equal(table.get('*a')?.address, '192.0.2.10', 'hex digits in lower case find the same entry');
  t.equal(table.get('10'), undefined, 'an id without * finds nothing');
});

t.test('table timeouts count down and expire', async (t) => {
  const clock = new ManualClock();
  const table = new AddressListTable('ipv4', { clock });
  const timed = table.add({ list: 'grants', address: '192.0.2.1', timeout: 90 });
  const permanent = table.add({ list: 'grants', address: '192.0.2.2' });

  t.equal(timed.timeout, 90);
  t.equal(timed.dynamic, true, 'an entry with a timeout is dynamic');
  t.equal(permanent.timeout, undefined);
  t.equal(permanent.dynamic, false);

  clock.advance(30_000);
  t.equal(table.get(timed.id)?.timeout, 60, 'timeout reads back counting down');

  table.set(timed.id, { timeout: 300 });
  clock.advance(100_000);
  t.equal(table.get(timed.id)?.timeout, 200, 'a new timeout replaces the old one');

  clock.advance(200_000);
  t.equal(table.get(timed.id), undefined, 'entry is gone when its timeout reaches zero');
  t.equal(table.size, 1);
  t.throws(() => table.set(timed.id, { comment: 'late' }), { name: 'RouterOsError', detail: 'no such item' });
});

t.test('table enforces the RouterOS timeout range', async (t) => {
  const table = new AddressListTable('ipv4');
  t.throws(() => table.add({ list: 'grants', address: '192.0.2.1', timeout: 21_474_837 }), {
    name: 'RouterOsError',
    detail: 'value of timeout out of range (0s..35w3d13h13m56s)',
  });
  t.equal(table.add({ list: 'grants', address: '192.0.2.1', timeout: 21_474_836 }).timeout, 21_474_836);
});

t.test('table set, remove and comments', async (t) => {
  const table = new AddressListTable('ipv4');
  const entry = table.add({ list: 'grants', address: '192.0.2.1', comment: 'alice' });
  const other = table.add({ list: 'grants', address: '192.0.2.2' });

  t.equal(table.set(entry.id, { comment: '' }).comment, undefined, 'an empty comment removes it');
  t.throws(() => table.set(other.id, { address: '192.0.2.1/32' }), { name: 'RouterOsError', detail: 'failure: already have such entry' });
  t.equal(table.find((candidate) => candidate.address === '192.0.2.2').length, 1);

  table.remove(entry.id);
  t.equal(table.get(entry.id), undefined);
  t.throws(() => table.remove(entry.id), { name: 'RouterOsError', detail: 'no such item' });
});

t.test('table reboot keeps only saved entries', async (t) => {
  const table = new AddressListTable('ipv4', { resolveDnsName: () => ['198.51.100.7'] });
  table.add({ list: 'grants', address: '192.0.2.1', timeout: 3600 });
  table.add({ list: 'grants', address: '192.0.2.2', dynamic: true });
  table.add({ list: 'static', address: '192.0.2.3' });
  table.add({ list: 'names', address: 'vpn.example.net' });

  const child = table.find((entry) => entry.address === '198.51.100.7')[0];
  t.equal(child?.dynamic, true, 'DNS-name child is dynamic');
  t.equal(child?.comment, 'vpn.example.net', 'DNS-name child carries the name as comment');

  table.reboot();
  t.same(
    table.all().map((entry) => [entry.id, entry.address]),
    [
      ['*1', '192.0.2.3'],
      ['*2', 'vpn.example.net'],
    ],
    'timed and dynamic entries are gone and ids restart',
  );
});

t.test('durations format and parse', async (t) => {
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(3600), '1h');
  t.equal(formatDuration(1_026_388), '1w4d21h6m28s');
  t.equal(parseDuration('1w2d21h26m28s'), 7 * 86_400 + 2 * 86_400 + 21 * 3600 + 26 * 60 + 28);
  t.equal(parseDuration('1d 00:00:00'), 86_400);
  t.equal(parseDuration('01:02:03'), 3723);
  t.equal(parseDuration('90'), 90);
  t.equal(parseDuration('5m'), 300);
  t.equal(parseDuration('soon'), undefined);
});

t.test('emulator lists entries as strings with filter and proplist', async (t) => {
  const { emulator, call } = await startEmulator(t);
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1', timeout: 3600, comment: 'alice' });
  emulator.tables.ipv4.add({ list: 'other', address: '192.0.2.2' });

  const all = await call('GET', '/rest/ip/firewall/address-list');
  t.equal(all.status, 200);
  t.equal(all.contentType, 'application/json');
  const first = (all.json as Array<Record<string, unknown>>)[0];
  t.equal(first?.['.id'], '*1');
  t.equal(first?.disabled, 'false', 'booleans are strings');
  t.equal(first?.dynamic, 'true');
  t.equal(first?.timeout, '1h');
  t.match(first?.['creation-time'], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

  const filtered = await call('GET', '/rest/ip/firewall/address-list?list=grants&.proplist=.id,address');
  t.same(filtered.json, [{ '.id': '*1', address: '192.0.2.1' }]);

  const byStoredForm = await call('GET', '/rest/ip/firewall/address-list?address=192.0.2.1/32');
  t.same(byStoredForm.json, [], 'filters compare with the stored form');

  const empty = await call('GET', '/rest/ipv6/firewall/address-list?list=grants');
  t.same(empty.json, [], 'an empty result is []');
});

t.test('emulator add, patch and delete by id', async (t) => {
  const { emulator, call } = await startEmulator(t);

  const created = await call('PUT', '/rest/ipv6/firewall/address-list', { list: 'grants', address: '2001:DB8::1', timeout: '1h' });
  t.equal(created.status, 201);
  t.match(created.json, { '.id': '*1', address: '2001:db8::1/128', list: 'grants', timeout: '1h', dynamic: 'true' });

  const patched = await call('PATCH', '/rest/ipv6/firewall/address-list/*1', { timeout: '2h', comment: 'bob' });
  t.match(patched.json, { timeout: '2h', comment: 'bob' });

  const fetched = await call('GET', '/rest/ipv6/firewall/address-list/*1');
  t.match(fetched.json, { '.id': '*1' }, 'one entry is an object');

  const removed = await call('DELETE', '/rest/ipv6/firewall/address-list/*1');
  t.equal(removed.status, 204);
  t.equal(removed.text, '');

  const again = await call('DELETE', '/rest/ipv6/firewall/address-list/*1');
  t.equal(again.status, 404);
  t.same(again.json, { error: 404, message: 'Not Found' });
  t.equal(emulator.tables.ipv6.size, 0);
});

t.test('emulator errors match RouterOS bodies', async (t) => {
  const { call } = await startEmulator(t);
  await call('PUT', '/rest/ip/firewall/address-list', { list: 'grants', address: '192.0.2.1' });

  const duplicate = await call('PUT', '/rest/ip/firewall/address-list', { list: 'grants', address: '192.0.2.1/32' });
  t.equal(duplicate.status, 400);
  t.same(duplicate.json, { detail: 'failure: already have such entry', error: 400, message: 'Bad Request' });
  t.equal(duplicate.text.indexOf('"detail"'), 1, 'keys come in alphabetical order');

  const echoed = await call('PUT', '/rest/ip/firewall/address-list', { list: 'grants', address: '192.0.2.9', 'creation-time': '2024-01-01 00:00:00' });
  t.equal(echoed.status, 400);
  t.match(echoed.json, { detail: 'unknown parameter creation-time' });

  const wrongFamily = await call('PUT', '/rest/ip/firewall/address-list', { list: 'grants', address: '2001:db8::1' });
  t.match(wrongFamily.json, { detail: '2001:db8::1 is not a valid dns name' });

  const badTimeout = await call('PUT', '/rest/ip/firewall/address-list', { list: 'grants', address: '192.0.2.3', timeout: 'later' });
  t.match(badTimeout.json, { detail: 'invalid value for argument timeout' });

  const unknownMenu = await call('GET', '/rest/ip/firewall/nonsense');
  t.equal(unknownMenu.status, 400);
  t.match(unknownMenu.json, { detail: 'no such command or directory (nonsense)' });

  const missing = await call('PATCH', '/rest/ip/firewall/address-list/*FF', { comment: 'x' });
  t.equal(missing.status, 404);
});

t.test('emulator POST commands print, add and remove', async (t) => {
  const { emulator, call } = await startEmulator(t);

  const added = await call('POST', '/rest/ip/firewall/address-list/add', { list: 'grants', address: '192.0.2.1' });
  t.same(added.json, { ret: '*1' }, 'add returns only the id');

  const printed = await call('POST', '/rest/ip/firewall/address-list/print', { '.query': ['list=grants'], '.proplist': ['.id', 'address'] });
  t.same(printed.json, [{ '.id': '*1', address: '192.0.2.1' }]);

  const removed = await call('POST', '/rest/ip/firewall/address-list/remove', { '.id': '*1' });
  t.same(removed.json, []);
  t.equal(emulator.tables.ipv4.size, 0);

  const missing = await call('POST', '/rest/ip/firewall/address-list/remove', { '.id': '*1' });
  t.equal(missing.status, 400);
  t.match(missing.json, { detail: 'no such item' });
});

t.test('emulator checks users and policies', async (t) => {
  const { emulator, call } = await startEmulator(t);
  emulator.users.addGroup('no-rest', ['api', 'read', 'write']);
  emulator.users.addGroup('no-api', ['rest-api', 'read', 'write']);
  emulator.users.addGroup('no-read', ['api', 'rest-api', 'write']);
  emulator.users.addGroup('no-write', ['api', 'rest-api', 'read']);
  for (const group of ['no-rest', 'no-api', 'no-read', 'no-write']) emulator.users.add({ name: group, password: 'secret', group });
  emulator.users.add({ name: 'off', password: 'secret', group: 'full', disabled: true });

  const list = '/rest/ip/firewall/address-list';
  const wrongPassword = await call('GET', list, undefined, { name: SERVICE_USER.name, password: 'wrong' });
  t.equal(wrongPassword.status, 401);
  t.same(wrongPassword.json, { error: 401, message: 'Unauthorized' });

  t.equal((await call('GET', list, undefined, { name: 'off', password: 'secret' })).status, 401, 'disabled user');
  t.equal((await call('GET', list, undefined, { name: 'no-rest', password: 'secret' })).status, 401, 'no rest-api policy');

  const noApi = await call('GET', list, undefined, { name: 'no-api', password: 'secret' });
  t.equal(noApi.status, 500);
  t.match(noApi.json, { detail: 'std failure: not allowed (9)' });

  const noRead = await call('GET', list, undefined, { name: 'no-read', password: 'secret' });
  t.equal(noRead.status, 500);
  t.match(noRead.json, { detail: 'not enough permissions (9)' });

  const noWrite = await call('PUT', list, { list: 'grants', address: '192.0.2.1' }, { name: 'no-write', password: 'secret' });
  t.equal(noWrite.status, 500);
  t.match(noWrite.json, { detail: 'not enough permissions (9)' });
  t.equal(emulator.tables.ipv4.size, 0, 'nothing was added');

  t.equal((await call('GET', list, undefined, ADMIN_USER)).status, 200, 'full group reads');
});

t.test('emulator without REST serves HTML 404', async (t) => {
  const { emulator, call } = await startEmulator(t, { rest: false });
  const reply = await call('GET', '/rest/system/resource');
  t.equal(reply.status, 404);
  t.equal(reply.contentType, 'text/html');
  t.match(reply.text, /<html>/);

  emulator.setRestEnabled(true);
  t.equal((await call('GET', '/rest/system/resource')).status, 200);
});

t.test('emulator serves plain HTTP', async (t) => {
  const emulator = await startRouterEmulator({ protocol: 'http' });
  t.teardown(() => emulator.close());
  t.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const response = await request(`${emulator.url}/rest/system/resource`, { headers: { authorization: basic(SERVICE_USER) } });
  t.equal(response.statusCode, 200);
  t.match(await response.body.json(), { 'board-name': 'CHR' });
});

t.test('emulator handles one request at a time', async (t) => {
  const { emulator } = await startEmulator(t, { latencyMs: 100 });
  const agents = [new Agent({ connect: { ca: emulator.caPem } }), new Agent({ connect: { ca: emulator.caPem } })];
  t.teardown(() => Promise.all(agents.map((agent) => agent.close())));

  const started = performance.now();
  await Promise.all(
    agents.map(async (agent) => {
      const response = await request(`${emulator.url}/rest/system/resource`, { headers: { authorization: basic(SERVICE_USER) }, dispatcher: agent });
      await response.body.text();
    }),
  );
  const elapsed = performance.now() - started;
  t.ok(elapsed >= 190, `two requests over two connections took ${elapsed.toFixed(0)} ms, expected at least twice the latency`);
});

t.test('emulator injects failures', async (t) => {
  const { emulator, call } = await startEmulator(t);
  const path = '/rest/system/resource';

  emulator.failNext(1, 'status500');
  const failed = await call('GET', path);
  t.equal(failed.status, 500);
  t.same(failed.json, { error: 500, message: 'Internal Server Error' });

  emulator.failNext(1, 'html');
  t.equal((await call('GET', path)).contentType, 'text/html');

  emulator.failNext(1, 'garbage');
  const garbage = await call('GET', path).catch((error: unknown) => error);
  t.type(garbage, SyntaxError, 'garbage is invalid JSON');

  emulator.failNext(1, 'reset');
  await t.rejects(call('GET', path), 'reset closes the connection');

  emulator.failNext(1, 'status500', '/rest/ip/');
  t.equal((await call('GET', path)).status, 200, 'a failure for another path waits');
  t.equal((await call('GET', '/rest/ip/firewall/address-list')).status, 500);

  t.ok(emulator.requests.length >= 6, 'every request is logged');
  t.same(emulator.requests[0], { method: 'GET', path, body: undefined });
});

t.test('emulator hang holds the reply until the client leaves', async (t) => {
  const { emulator, call } = await startEmulator(t);
  const agent = new Agent({ connect: { ca: emulator.caPem } });
  t.teardown(() => agent.destroy());
  emulator.failNext(1, 'hang');

  const hanging = request(`${emulator.url}/rest/system/resource`, {
    headers: { authorization: basic(SERVICE_USER) },
    dispatcher: agent,
    signal: AbortSignal.timeout(200),
  });
  await t.rejects(hanging, 'no reply arrives');

  t.equal((await call('GET', '/rest/system/resource')).status, 200, 'the next request is served');
});

t.test('emulator writes raw control characters like RouterOS', async (t) => {
  const { emulator, call } = await startEmulator(t);
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1', comment: 'esc \u001b here' });
  const reply = await call('GET', '/rest/ip/firewall/address-list').catch((error: unknown) => error);
  t.type(reply, SyntaxError, 'a strict parser rejects the reply');
});

t.test('emulator reboot drops timed entries and uptime', async (t) => {
  const clock = new ManualClock();
  const { emulator, call } = await startEmulator(t, { clock });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1', timeout: 86_400 });
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.2' });

  clock.advance(3 * 3600 * 1000);
  t.match((await call('GET', '/rest/system/resource')).json, { uptime: '3h' });

  emulator.reboot();
  clock.advance(5000);
  t.match((await call('GET', '/rest/system/resource')).json, { uptime: '5s' });
  t.same(addressListOf(emulator), ['192.0.2.2']);
  t.equal(emulator.tables.ipv4.all()[0]?.id, '*1');
});

t.test('emulator runs scripts and records runs', async (t) => {
  const runs: string[] = [];
  const { emulator, call } = await startEmulator(t, { scripts: { 'knocklist-import': ':log info import' }, onScriptRun: (name) => runs.push(name) });

  const listed = await call('GET', '/rest/system/script');
  t.match(listed.json, [{ '.id': '*1', name: 'knocklist-import', 'run-count': '0' }]);

  t.same((await call('POST', '/rest/system/script/run', { '.id': 'knocklist-import' })).json, []);
  t.equal(emulator.scripts.get('knocklist-import')?.runCount, 1);
  t.same(runs, ['knocklist-import']);

  const missing = await call('POST', '/rest/system/script/run', { '.id': 'absent' });
  t.equal(missing.status, 400);
  t.match(missing.json, { detail: 'no such item' });
});

t.test('emulator binds only loopback and swaps certificates', async (t) => {
  const { emulator } = await startEmulator(t);
  t.match(emulator.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.match(emulator.fingerprint, /^[0-9a-f]{64}$/);

  const before = emulator.fingerprint;
  emulator.setCertificate('router-replaced');
  t.not(emulator.fingerprint, before, 'the second certificate has another fingerprint');
});
