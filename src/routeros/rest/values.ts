// RouterOS value formats: durations and addresses in the form the router
// stores them, so that a diff against what the router returns settles instead
// of churning on every sync.
import ipaddr from 'ipaddr.js';
import type { AddressFamily } from './types.js';

/** Maximum RouterOS duration in seconds (2^31 - 1 centiseconds), printed as 35w3d13h13m56s. */
export const ROUTEROS_MAX_DURATION_SECONDS = 21_474_836;

const DURATION_UNITS: ReadonlyArray<readonly [unit: string, seconds: number]> = [
  ['w', 604_800],
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/**
 * Formats seconds as a RouterOS duration such as `1w2d3h4m5s`, leaving out
 * zero units and printing `0s` for zero. Fractions round up, so a timeout is
 * never shorter than requested, and the value is clamped to 0..35w3d13h13m56s.
 */
export function formatRouterOsDuration(seconds: number): string {
  if (Number.isNaN(seconds)) throw new TypeError(`duration must be a number of seconds, got ${seconds}`);
  let rest = Math.min(ROUTEROS_MAX_DURATION_SECONDS, Math.max(0, Math.ceil(seconds)));
  if (rest === 0) return '0s';

  let text = '';
  for (const [unit, size] of DURATION_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}

/**
 * Parses a RouterOS duration into seconds. Accepts the v7 form `1w2d21h26m28s`
 * (with optional `ms`), the older `1d 00:00:00` and `hh:mm:ss` forms, and a
 * bare number of seconds. Returns undefined for text in none of these forms.
 */
export function parseRouterOsDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);

  const clockForm = /^(?:(\d+)d\s*)?(\d+):([0-5]\d):([0-5]\d)(?:\.\d+)?$/.exec(trimmed);
  if (clockForm) {
    const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = clockForm;
    return Number(days) * 86_400 + Number(hours) * 3_600 + Number(minutes) * 60 + Number(seconds);
  }

  const unitForm = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(trimmed);
  if (!unitForm || unitForm.slice(1).every((part) => part === undefined)) return undefined;
  const [, weeks = '0', days = '0', hours = '0', minutes = '0', seconds = '0', milliseconds = '0'] = unitForm;
  return (
    Number(weeks) * 604_800 +
    Number(days) * 86_400 +
    Number(hours) * 3_600 +
    Number(minutes) * 60 +
    Number(seconds) +
    Number(milliseconds) / 1000
  );
}

/**
 * Returns an address in the form RouterOS v7 stores it, so diffs against the
 * router settle. IPv4 hosts lose `/32` and prefixes get their host bits
 * cleared. An IPv4 range that lines up with a prefix becomes that CIDR, and
 * other ranges stay `a.b.c.d-e.f.g.h`. IPv6 is lower-case and compressed
 * (RFC 5952), with host bits cleared and `/128` on hosts.
 * Throws TypeError for text that is no address of the family.
 */
export function normalizeRouterOsAddress(family: AddressFamily, text: string): string {
  const trimmed = text.trim();
  const normalised = family === 'ipv4' ? normalizeIpv4(trimmed) : normalizeIpv6(trimmed);
  if (normalised === undefined) throw new TypeError(`invalid ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address: ${JSON.stringify(text)}`);
  return normalised;
}

function parseIpv4(text: string): number | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(text).octets;
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function formatIpv4Prefix(address: number, length: number): string {
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  const network = (address & mask) >>> 0;
  return length === 32 ? formatIpv4(network) : `${formatIpv4(network)}/${length}`;
}

function normalizeIpv4(text: string): string | undefined {
  const range = /^([0-9.]+)\s*-\s*([0-9.]+)$/.exec(text);
  if (range) {
    const first = parseIpv4(range[1] ?? '');
    const last = parseIpv4(range[2] ?? '');
    if (first === undefined || last === undefined || last < first) return undefined;

    // RouterOS stores a range that covers exactly one prefix as that prefix.
    const size = last - first + 1;
    const hostBits = Math.log2(size);
    if (Number.isInteger(hostBits) && first % size === 0) return formatIpv4Prefix(first, 32 - hostBits);
    return `${formatIpv4(first)}-${formatIpv4(last)}`;
  }

  const slash = text.indexOf('/');
  const host = slash === -1 ? text : text.slice(0, slash);
  const lengthText = slash === -1 ? '32' : text.slice(slash + 1);
  const address = parseIpv4(host);
  if (address === undefined || !/^\d{1,2}$/.test(lengthText) || Number(lengthText) > 32) return undefined;
  return formatIpv4Prefix(address, Number(lengthText));
}

function normalizeIpv6(text: string): string | undefined {
  const slash = text.indexOf('/');
  const host = slash === -1 ? text : text.slice(0, slash);
  const lengthText = slash === -1 ? '128' : text.slice(slash + 1);
  if (host.includes('%') || !ipaddr.IPv6.isValid(host)) return undefined;
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > 128) return undefined;

  const length = Number(lengthText);
  const parts = ipaddr.IPv6.parse(host).parts.map((part, index) => {
    const keptBits = Math.min(16, Math.max(0, length - index * 16));
    return keptBits === 0 ? 0 : part & ((0xffff << (16 - keptBits)) & 0xffff);
  });
  return `${new ipaddr.IPv6(parts).toRFC5952String()}/${length}`;
}
