import ipaddr from 'ipaddr.js'

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

const parsedLists = new WeakMap<readonly string[], Range[]>()

function parseRanges(list: readonly string[]): Range[] {
  let ranges = parsedLists.get(list)
  if (ranges === undefined) {
    ranges = list.map((entry) => (entry.includes('/') ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128]))
    parsedLists.set(list, ranges)
  }
  return ranges
}

// Whether a client address is inside an allowFrom list; an empty list allows
// every client. The list is parsed once per knoc definition, not per request.
export function isClientAllowed(clientAddress: string, allowFrom: readonly string[]): boolean {
  if (allowFrom.length === 0) return true
  let client: ipaddr.IPv4 | ipaddr.IPv6
  try {
    client = ipaddr.process(clientAddress)
  } catch {
    return false
  }
  return parseRanges(allowFrom).some(([network, prefix]) => network.kind() === client.kind() && client.match(network, prefix))
}
