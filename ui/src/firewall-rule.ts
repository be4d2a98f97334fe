// The RouterOS firewall filter rule that lets granted addresses through.
// knocklist fills the address list, but the admin adds this rule once.
// Every value from the knoc goes through the same quoting as the generated
// setup script, so a list name cannot end the string or inject a command.
import { quoteRouterOsString } from '../../src/routeros/script/escape.js'

export type FilterChain = 'input' | 'forward'
export type Family = 'ipv4' | 'ipv6'

const menus: Record<Family, string> = { ipv4: '/ip firewall filter', ipv6: '/ipv6 firewall filter' }

/**
 * Renders the filter rule for one address family: accept from the knoc's
 * address list, placed before the first enabled drop rule of the chain.
 * `dstPort`, when given, narrows the rule to one TCP port.
 */
export function filterRule(options: { knoc: string; addressList: string; family: Family; chain: FilterChain; dstPort?: number }): string {
  const menu = menus[options.family]
  const parts = [
    `${menu} add`,
    `chain=${options.chain}`,
    'action=accept',
    options.dstPort === undefined ? '' : `protocol=tcp dst-port=${options.dstPort}`,
    `src-address-list=${quoteRouterOsString(options.addressList)}`,
    `comment=${quoteRouterOsString(`knocklist: knoc ${options.knoc}`)}`,
    // NOTE: relies on place-before accepting the first id that :pick returns;
    // with no enabled drop rule in the chain the command fails and adds nothing.
    `place-before=[:pick [${menu} find where chain=${options.chain} action=drop disabled=no] 0]`,
  ]
  return parts.filter((part) => part !== '').join(' ')
}
