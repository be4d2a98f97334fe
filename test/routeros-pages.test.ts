// Data pages and version reply that the RouterOS importer reads.
import t from 'tap'
import {
  ENTRIES_PER_PAGE, MAX_TIMEOUT_SECONDS, pageCount, remainingSeconds, renderDataPage, renderVersionReply, routerOsAddress, routerOsPaths,
} from '../src/routeros/script/pages.js'
import type { FeedSnapshot } from '../src/routeros/script/snapshot.js'

const now = Date.UTC(2024, 0, 1)

const snapshot: FeedSnapshot = {
  knoc: 'office-ssh',
  version: 7,
  entries: [
    { address: '192.0.2.1', family: 'ipv4', expiresAt: now + 90_500 },
    { address: '198.51.100.0/24', family: 'ipv4', expiresAt: now - 1 },
    { address: '2001:db8::1', family: 'ipv6', expiresAt: now + 3_600_000 },
  ],
}

t.test('version reply format', async (t) => {
  t.equal(renderVersionReply(snapshot), 'knocklist-version 1 office-ssh 7 1 3\nend\n')
  t.equal(renderVersionReply({ ...snapshot, entries: [] }), 'knocklist-version 1 office-ssh 7 1 0\nend\n', 'empty knoc states zero entries')
})

t.test('data page format', async (t) => {
  t.equal(
    renderDataPage(snapshot, 1, now),
    'knocklist-page 1 office-ssh 7 1 1 3 3\n4 192.0.2.1 91\n4 198.51.100.0/24 0\n6 2001:db8::1/128 3600\nend\n',
  )
  t.equal(renderDataPage({ ...snapshot, entries: [] }, 1, now), 'knocklist-page 1 office-ssh 7 1 1 0 0\nend\n')
})

t.test('pages out of range', async (t) => {
  for (const page of [0, 2, -1, 1.5, Number.NaN]) t.equal(renderDataPage(snapshot, page, now), undefined, `page ${page}`)
})

t.test('pagination does not depend on render time', async (t) => {
  const entries = Array.from({ length: 2 * ENTRIES_PER_PAGE + 1 }, (_, index) => ({
    address: `10.0.${index >> 8}.${index & 255}`,
    family: 'ipv4' as const,
    expiresAt: now + index * 1000,
  }))
  const big = { knoc: 'k', version: 1, entries }
  t.equal(pageCount(big), 3)
  const early = renderDataPage(big, 2, now)?.split('\n').map((line) => line.split(' ')[1])
  const late = renderDataPage(big, 2, now + 5_000_000)?.split('\n').map((line) => line.split(' ')[1])
  t.same(early?.slice(1), late?.slice(1), 'same addresses on page 2')
})

t.test('worst-case page stays under 60,000 bytes', async (t) => {
  const entries = Array.from({ length: ENTRIES_PER_PAGE }, (_, index) => ({
    address: `ffff:ffff:ffff:ffff:ffff:ffff:ffff:${(0xf000 + index).toString(16)}`,
    family: 'ipv6' as const,
    expiresAt: now + 10 * MAX_TIMEOUT_SECONDS * 1000,
  }))
  const page = renderDataPage({ knoc: `k${'x'.repeat(62)}`, version: Number.MAX_SAFE_INTEGER, entries }, 1, now) ?? ''
  t.ok(Buffer.byteLength(page) < 60_000, `${Buffer.byteLength(page)} bytes`)
})

t.test('remaining seconds', async (t) => {
  t.equal(remainingSeconds(now + 1, now), 1, 'rounded up')
  t.equal(remainingSeconds(now - 5000, now), 0, 'expired is 0')
  t.equal(remainingSeconds(now + 400 * 86_400_000, now), MAX_TIMEOUT_SECONDS, 'clamped to the RouterOS maximum')
})

t.test('addresses in RouterOS form', async (t) => {
  const cases: Array<[string, 'ipv4' | 'ipv6', string]> = [
    ['192.0.2.1', 'ipv4', '192.0.2.1'],
    ['192.0.2.1/32', 'ipv4', '192.0.2.1'],
    ['10.1.2.3/8', 'ipv4', '10.0.0.0/8'],
    ['2001:DB8::1', 'ipv6', '2001:db8::1/128'],
    ['2001:db8:0:0::1/128', 'ipv6', '2001:db8::1/128'],
    ['2001:db8:1:2::5/64', 'ipv6', '2001:db8:1:2::/64'],
  ]
  for (const [address, family, expected] of cases) t.equal(routerOsAddress({ address, family }), expected, address)
  for (const [address, family] of [['2001:db8::1', 'ipv4'], ['192.0.2.1', 'ipv6'], ['192.0.2.1/33', 'ipv4'], ['example.com', 'ipv4']] as const) {
    t.throws(() => routerOsAddress({ address, family }), TypeError, `${address} as ${family} rejected`)
  }
})

t.test('URL paths', async (t) => {
  const paths = routerOsPaths('office-ssh')
  t.equal(paths.version, '/v1/feeds/office-ssh/routeros/version')
  t.equal(paths.page(3, 42), '/v1/feeds/office-ssh/routeros/pages/3?version=42')
  t.throws(() => routerOsPaths('../etc'), TypeError)
})
