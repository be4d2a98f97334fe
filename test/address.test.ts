import t from 'tap'
import { canonicalizeAddress, checkPrefixLimits, compareAddresses } from '../src/grants/address.js'
import { isKnocklistError } from '../src/errors.js'

const hostsOnly = { ipv4: 32, ipv6: 128 }

t.test('canonical form table', async (t) => {
  const cases: Array<[string, string, 'ipv4' | 'ipv6']> = [
    ['192.0.2.1/32', '192.0.2.1', 'ipv4'],
    ['192.0.2.1', '192.0.2.1', 'ipv4'],
    ['2001:DB8:0:0::1', '2001:db8::1', 'ipv6'],
    ['2001:db8::1/128', '2001:db8::1', 'ipv6'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 'ipv6'],
    ['10.1.2.3/24', '10.1.2.0/24', 'ipv4'],
    ['2001:db8:1:2::5/64', '2001:db8:1:2::/64', 'ipv6'],
    ['::ffff:192.0.2.1', '192.0.2.1', 'ipv4'],
    ['::FFFF:C000:0201', '192.0.2.1', 'ipv4'],
    ['::ffff:192.0.2.77/120', '192.0.2.0/24', 'ipv4'],
    ['  192.0.2.9 \n', '192.0.2.9', 'ipv4'],
    ['\t2001:db8::9\t', '2001:db8::9', 'ipv6'],
  ]
  for (const [input, address, family] of cases) {
    const canonical = canonicalizeAddress(input)
    t.equal(canonical.address, address, `${JSON.stringify(input)} becomes ${address}`)
    t.equal(canonical.family, family, `${JSON.stringify(input)} is ${family}`)
  }
})

t.test('invalid addresses rejected with the value named', async (t) => {
  const inputs = ['010.1.2.3', '192.0.2.01', '1.2.3', '192.0.2.256', 'fe80::1%eth0', '192.0.2.1/33',
    '2001:db8::/129', '192.0.2.1/24/8', 'example.com', '', '   ', '192.0.2.1/-1', '192.0.2.1/ 24', '::ffff:192.0.2.1/64']
  for (const input of inputs) {
    try {
      canonicalizeAddress(input)
      t.fail(`${JSON.stringify(input)} was accepted`)
    } catch (error) {
      t.ok(isKnocklistError(error) && error.code === 'KNL_ADDRESS_INVALID', `${JSON.stringify(input)} gives KNL_ADDRESS_INVALID`)
      t.match((error as Error).message, JSON.stringify(input), `message names ${JSON.stringify(input)}`)
    }
  }
  t.throws(() => canonicalizeAddress(42), { code: 'KNL_ADDRESS_INVALID' }, 'a number is not an address')
})

t.test('addresses no client sends from rejected', async (t) => {
  const cases = [
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.1.0.0/16', 'multicast'],
    ['ff02::1', 'multicast'],
  ] as const
  for (const [input, kind] of cases) {
    t.throws(() => canonicalizeAddress(input), { code: 'KNL_ADDRESS_INVALID', message: new RegExp(kind) }, `${input} is rejected as ${kind}`)
  }
  t.equal(canonicalizeAddress('0.0.0.0/0').prefixLength, 0, 'the whole address space still reaches the default-route check')
  t.equal(canonicalizeAddress('192.0.2.255').address, '192.0.2.255', 'a host ending in .255 is a normal host')
})

t.test('prefix limits', async (t) => {
  const network = canonicalizeAddress('10.1.2.3/24')
  t.throws(() => checkPrefixLimits(network, hostsOnly, '10.1.2.3/24'), { code: 'KNL_ADDRESS_TOO_WIDE' }, 'hosts only rejects a /24')
  t.doesNotThrow(() => checkPrefixLimits(network, { ipv4: 24, ipv6: 128 }, '10.1.2.3/24'), 'a /24 limit accepts a /24')
  t.throws(() => checkPrefixLimits(canonicalizeAddress('10.1.0.0/23'), { ipv4: 24, ipv6: 128 }, '10.1.0.0/23'), { code: 'KNL_ADDRESS_TOO_WIDE' }, 'a /24 limit rejects a /23')
  t.throws(() => checkPrefixLimits(canonicalizeAddress('0.0.0.0/0'), { ipv4: 0, ipv6: 0 }, '0.0.0.0/0'), { code: 'KNL_ADDRESS_DEFAULT_ROUTE' }, '0.0.0.0/0 rejected even with a /0 limit')
  t.throws(() => checkPrefixLimits(canonicalizeAddress('::/0'), { ipv4: 0, ipv6: 0 }, '::/0'), { code: 'KNL_ADDRESS_DEFAULT_ROUTE' }, '::/0 rejected even with a /0 limit')
  t.throws(() => checkPrefixLimits(canonicalizeAddress('192.0.2.1/0'), { ipv4: 0, ipv6: 0 }, '192.0.2.1/0'), { code: 'KNL_ADDRESS_DEFAULT_ROUTE' }, 'a /0 with host bits is the default route too')
})

t.test('feed order is IPv4 then IPv6, numeric', async (t) => {
  const sorted = ['2001:db8::1', '192.0.2.10', '10.0.0.0/8', '192.0.2.9', '::1'].sort(compareAddresses)
  t.same(sorted, ['10.0.0.0/8', '192.0.2.9', '192.0.2.10', '::1', '2001:db8::1'])
})
