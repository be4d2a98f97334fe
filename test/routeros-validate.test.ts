// validateRouter against the RouterOS emulator on 127.0.0.1: each check in
// order, stopping at the first failure with its code and troubleshooting page.
import { createServer } from 'node:net';
import t, { type Test } from 'tap';
import type { RouterConnection } from '../src/routeros/rest/index.js';
import { validateRouter, type ValidationCheckName, type ValidationResult } from '../src/routeros/validate.js';
import { SERVICE_USER, startRouterEmulator, type RouterEmulator, type RouterEmulatorOptions } from './fixtures/routeros/emulator.js';

async function startEmulator(test: Test, options: RouterEmulatorOptions = {}): Promise<RouterEmulator> {
  const emulator = await startRouterEmulator(options);
  test.teardown(() => emulator.close());
  return emulator;
}

function connectionTo(emulator: RouterEmulator, overrides: Partial<RouterConnection> = {}): RouterConnection {
  return { name: 'edge1', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, ca: emulator.caPem, ...overrides };
}

function checkNames(result: ValidationResult): ValidationCheckName[] {
  return result.checks.map((check) => check.check);
}

/** Asserts that the result failed at `check` with `code`, after every earlier check passed. */
function assertFailedAt(test: Test, result: ValidationResult, check: ValidationCheckName, code: number): void {
  const last = result.checks.at(-1);
  test.equal(result.ok, false, 'result is not ok');
  test.equal(last?.check, check, `fails at ${check}`);
  test.equal(last?.ok, false, `${check} is not ok`);
  test.equal(last?.code, code, `code ${code}: ${last?.message}`);
  test.equal(last?.docs, `docs/errors/${code}.md`);
  test.ok(
    result.checks.slice(0, -1).every((earlier) => earlier.ok),
    'every earlier check passed',
  );
}

t.test('healthy router passes every check', async (t) => {
  const emulator = await startEmulator(t);
  emulator.tables.ipv4.add({ list: 'grants', address: '192.0.2.1' });
  emulator.tables.ipv6.add({ list: 'grants', address: '2001:db8::1' });

  const result = await validateRouter(connectionTo(emulator), 'grants');
  t.equal(result.ok, true);
  t.same(checkNames(result), ['reachable', 'tls', 'authentication', 'rest', 'read-list']);
  t.ok(result.checks.every((check) => check.ok), 'every check passed');
  t.equal(result.fingerprint, emulator.fingerprint, 'reports the presented certificate');
  t.match(result.checks.at(-1)?.message, /1 IPv4 and 1 IPv6/);

  const paths = emulator.requests.map((request) => request.path.split('?')[0]);
  t.same(paths, ['/rest/system/resource', '/rest/ip/firewall/address-list', '/rest/ipv6/firewall/address-list'], 'reads only');
});

t.test('refused port fails reachable with 208005', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const result = await validateRouter({ name: 'edge1', url: `https://127.0.0.1:${port}`, username: 'a', password: 'b' }, 'grants');
  assertFailedAt(t, result, 'reachable', 208005);
  t.equal(result.checks.length, 1, 'later checks are left out');
});

t.test('unknown host fails reachable with 208007', async (t) => {
  const result = await validateRouter({ name: 'edge1', url: 'https://router.knocklist-test.invalid', username: 'a', password: 'b' }, 'grants', {
    connectTimeoutMs: 5000,
  });
  assertFailedAt(t, result, 'reachable', 208007);
});

t.test('untrusted certificate fails tls with 208003', async (t) => {
  const emulator = await startEmulator(t);
  const result = await validateRouter(connectionTo(emulator, { ca: undefined }), 'grants');
  assertFailedAt(t, result, 'tls', 208003);
  t.equal(result.fingerprint, emulator.fingerprint, 'offers the fingerprint for pinning');
  t.equal(emulator.requests.length, 0, 'credentials were never sent');
});

t.test('wrong pin fails tls with 208004', async (t) => {
  const emulator = await startEmulator(t);
  const result = await validateRouter(connectionTo(emulator, { ca: undefined, fingerprint: 'cd'.repeat(32) }), 'grants');
  assertFailedAt(t, result, 'tls', 208004);
  t.equal(result.fingerprint, emulator.fingerprint);
});

t.test('correct pin and insecure pass tls', async (t) => {
  const emulator = await startEmulator(t);
  const pinned = await validateRouter(connectionTo(emulator, { ca: undefined, fingerprint: emulator.fingerprint }), 'grants');
  t.equal(pinned.ok, true, 'pinned');
  const insecure = await validateRouter(connectionTo(emulator, { ca: undefined, insecure: true }), 'grants');
  t.equal(insecure.ok, true, 'insecure');
  t.match(insecure.checks[1]?.message, /insecure/);
});

t.test('plain HTTP on https url fails tls with 208009', async (t) => {
  const emulator = await startEmulator(t, { protocol: 'http' });
  const result = await validateRouter(connectionTo(emulator, { url: emulator.url.replace('http:', 'https:') }), 'grants');
  assertFailedAt(t, result, 'tls', 208009);
});

t.test('plain HTTP router passes without tls', async (t) => {
  const emulator = await startEmulator(t, { protocol: 'http' });
  const result = await validateRouter(connectionTo(emulator), 'grants');
  t.equal(result.ok, true);
  t.equal(result.fingerprint, undefined);
  t.match(result.checks[1]?.message, /plain http/);
});

t.test('wrong password fails authentication with 208001', async (t) => {
  const emulator = await startEmulator(t);
  const result = await validateRouter(connectionTo(emulator, { password: 'wrong' }), 'grants');
  assertFailedAt(t, result, 'authentication', 208001);
});

t.test('missing policy fails authentication naming it', async (t) => {
  const emulator = await startEmulator(t);
  emulator.users.addGroup('no-api', ['rest-api', 'read', 'write']);
  emulator.users.addGroup('no-read', ['api', 'rest-api', 'write']);
  emulator.users.add({ name: 'no-api', password: 'secret', group: 'no-api' });
  emulator.users.add({ name: 'no-read', password: 'secret', group: 'no-read' });

  const noApi = await validateRouter(connectionTo(emulator, { username: 'no-api', password: 'secret' }), 'grants');
  assertFailedAt(t, noApi, 'authentication', 208002);
  t.match(noApi.checks.at(-1)?.message, /add the api policy/);

  const noRead = await validateRouter(connectionTo(emulator, { username: 'no-read', password: 'secret' }), 'grants');
  assertFailedAt(t, noRead, 'authentication', 208002);
  t.match(noRead.checks.at(-1)?.message, /add the read policy/);
});

t.test('router without REST fails rest with 208008', async (t) => {
  const emulator = await startEmulator(t, { rest: false });
  const result = await validateRouter(connectionTo(emulator), 'grants');
  assertFailedAt(t, result, 'rest', 208008);
  t.same(checkNames(result), ['reachable', 'tls', 'rest'], 'authentication could not be tested and is left out');
});

t.test('garbage reply fails rest with 208401', async (t) => {
  const emulator = await startEmulator(t);
  emulator.failNext(1, 'garbage');
  const result = await validateRouter(connectionTo(emulator), 'grants');
  assertFailedAt(t, result, 'rest', 208401);
  t.same(checkNames(result), ['reachable', 'tls', 'authentication', 'rest']);
});

t.test('hanging router fails rest with 208006', async (t) => {
  const emulator = await startEmulator(t);
  emulator.failNext(1, 'hang');
  const result = await validateRouter(connectionTo(emulator), 'grants', { timeoutMs: 200 });
  assertFailedAt(t, result, 'rest', 208006);
});

t.test('list read failure fails read-list', async (t) => {
  const emulator = await startEmulator(t);
  emulator.failNext(1, 'status500', '/rest/ipv6/');
  const result = await validateRouter(connectionTo(emulator), 'grants');
  assertFailedAt(t, result, 'read-list', 208101);
});
