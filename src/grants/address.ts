import ipaddr from 'ipaddr.js'
import { KnocklistError } from '../errors.js'

export type AddressFamily = 'ipv4' | 'ipv6'

export interface CanonicalAddress {
  // IPv4 hosts without `/32`, IPv6 hosts without `/128`, networks as CIDR
  // with host bits cleared, IPv6 compressed in lower case (RFC 5952).
  address: string
  family: AddressFamily
  prefixLength: number
}

// The widest network a grant may cover, as the smallest prefix length allowed.
export interface PrefixLimits {
  ipv4: number
  ipv6: number
}

const maxPrefix: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 }

function invalid(input: string, reason: string): KnocklistError {
  return new KnocklistError('KNL_ADDRESS_INVALID', `invalid address ${JSON.stringify(input)}: ${reason}`)
}

function parseHost(text: string, input: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (text.includes('%')) throw invalid(input, 'IPv6 zone ids are not allowed; remove the "%zone" part')

  if (ipaddr.IPv4.isIPv4(text)) {
    // inet_aton reads "010" as octal 8 while most people mean 10, so a
    // leading zero makes the address ambiguous.
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
      throw invalid(input, 'write an IPv4 address as four decimal numbers from 0 to 255 without leading zeros, such as 192.0.2.1')
    }
    return ipaddr.IPv4.parse(text)
  }
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text)
  throw invalid(input, 'expected an IPv4 or IPv6 address, optionally with a /prefix, such as 192.0.2.1 or 2001:db8::/64')
}

function parsePrefixLength(text: string | undefined, family: AddressFamily, input: string): number {
  if (text === undefined) return maxPrefix[family]
  if (!/^\d{1,3}$/.test(text) || Number(text) > maxPrefix[family]) {
    throw invalid(input, `the prefix length must be a number from 0 to ${maxPrefix[family]} for ${family}`)
  }
  return Number(text)
}

// Parses an address or network into its canonical form. IPv4-mapped IPv6
// addresses (`::ffff:192.0.2.1`) become IPv4, because a firewall treats that
// traffic as IPv4. Raises KNL_ADDRESS_INVALID for anything else.
export function canonicalizeAddress(input: unknown): CanonicalAddress {
  if (typeof input !== 'string') {
    throw new KnocklistError('KNL_ADDRESS_INVALID', `invalid address ${JSON.stringify(input)}: the address must be a string such as "192.0.2.1"`)
  }
  const text = input.trim()
  if (text.length === 0 || text.length > 64) throw invalid(input, 'expected an IPv4 or IPv6 address such as 192.0.2.1')

  const [hostText, prefixText, extra] = text.split('/')
  if (extra !== undefined || hostText === undefined) throw invalid(input, 'use at most one "/prefix"')

  let host = parseHost(hostText, input)
  let family: AddressFamily = host.kind()
  let prefixLength = parsePrefixLength(prefixText, family, input)

  if (host instanceof ipaddr.IPv6 && host.isIPv4MappedAddress()) {
    if (prefixLength < 96) throw invalid(input, 'an IPv4-mapped network needs a prefix length of 96 or more')
    host = host.toIPv4Address()
    family = 'ipv4'
    prefixLength -= 96
  }

  const network = family === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${host.toString()}/${prefixLength}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${host.toString()}/${prefixLength}`)
  const base = network instanceof ipaddr.IPv6 ? network.toRFC5952String() : network.toString()
  const address = prefixLength === maxPrefix[family] ? base : `${base}/${prefixLength}`

  // No client sends from these, so a grant for one is a mistake: 0.0.0.0 and
  // :: mean "no address", 255.255.255.255 is the local broadcast, and a
  // multicast address is a group, not a host.
  const range = network.range()
  if (prefixLength === maxPrefix[family] && (range === 'unspecified' || range === 'broadcast')) {
    throw invalid(input, `${base} is the ${range} address, not a client; grant the address the client connects from`)
  }
  if (range === 'multicast') throw invalid(input, `${address} is a multicast address, not a client; grant the address the client connects from`)

  return { address, family, prefixLength }
}

// Checks a canonical address against a knoc's prefix limits. The whole
// address space is rejected whatever the limits allow.
export function checkPrefixLimits(canonical: CanonicalAddress, limits: PrefixLimits, input: string): void {
  if (canonical.prefixLength === 0) {
    throw new KnocklistError(
      'KNL_ADDRESS_DEFAULT_ROUTE',
      `address ${JSON.stringify(input)} covers every ${canonical.family} address, which is never allowed; grant a host or a narrower network`,
    )
  }
  const limit = limits[canonical.family]
  if (canonical.prefixLength < limit) {
    const hostsOnly = limit === maxPrefix[canonical.family]
    const hint = hostsOnly ? 'this knoc accepts single hosts only' : `the widest network this knoc accepts is a /${limit}`
    throw new KnocklistError(
      'KNL_ADDRESS_TOO_WIDE',
      `address ${JSON.stringify(input)} is a /${canonical.prefixLength} network, but ${hint}; grant ${hostsOnly ? 'a single host' : 'a narrower network'} or raise the knoc's prefix.${canonical.family} limit`,
    )
  }
}

// Orders canonical addresses for feeds: IPv4 before IPv6, then numerically.
export function compareAddresses(a: string, b: string): number {
  return addressSortKey(a).localeCompare(addressSortKey(b))
}

const sortKeys = new Map<string, string>()

function addressSortKey(address: string): string {
  let key = sortKeys.get(address)
  if (key !== undefined) return key

  const [hostText, prefixText] = address.split('/')
  const host = ipaddr.parse(hostText!)
  const bytes = host.toByteArray()
  const hex = bytes.map((byte) => byte.toString(16).padStart(2, '0')).join('')
  const prefix = prefixText ?? (host.kind() === 'ipv4' ? '32' : '128')
  key = `${host.kind() === 'ipv4' ? '4' : '6'}${hex}/${prefix.padStart(3, '0')}`

  // The key cache only speeds up sorting, so it is simply reset when large.
  if (sortKeys.size > 200_000) sortKeys.clear()
  sortKeys.set(address, key)
  return key
}
