// The `.rsc` script served for admins who prefer `/tool fetch` + `/import`.
//
// `/import` stops at the first runtime error, so every add is wrapped and a
// duplicate updates the entry instead. The list is never emptied first. Only
// entries tagged with the knoc's comment and no longer granted are removed.
// The whole script is one `{ }` block, so a download cut short fails to parse
// and changes nothing.
import { quoteRouterOsString as quote } from './escape.js'
import { routerOsScriptNames, ScriptWriter } from './importer.js'
import { remainingSeconds, routerOsAddress } from './pages.js'
import type { FeedSnapshot } from './snapshot.js'

export interface ImportRscOptions {
  /** RouterOS address-list name. */
  addressList: string
  /** Render time in milliseconds since the epoch; timeouts are the seconds left from then. */
  nowMs: number
}

/** Renders a RouterOS script for `/import` that brings one address list in step with the snapshot. */
export function renderImportRsc(snapshot: FeedSnapshot, options: ImportRscOptions): string {
  const names = routerOsScriptNames(snapshot.knoc)
  if (typeof options.addressList !== 'string' || options.addressList.length === 0 || options.addressList.length > 255) {
    throw new TypeError('addressList must be a RouterOS address-list name of 1 to 255 characters')
  }
  if (!Number.isFinite(options.nowMs)) throw new TypeError(`nowMs must be a finite number of milliseconds, got ${options.nowMs}`)

  const code = new ScriptWriter()
  code.line(`# knocklist: address list for knoc ${snapshot.knoc}, version ${snapshot.version}, rendered ${new Date(options.nowMs).toISOString()}.`)
  code.line('# Run with /import. It adds or refreshes every granted address and removes only entries')
  code.line(`# commented ${names.entryComment} that are no longer granted. Entries expire on their own.`)
  code.open('{')
  code.line(`:local klListName ${quote(options.addressList)}`)
  code.line(`:local klTag ${quote(names.entryComment)}`)
  code.line(':local klKeep4 [:toarray ""]')
  code.line(':local klKeep6 [:toarray ""]')
  for (const entry of snapshot.entries) {
    const seconds = remainingSeconds(entry.expiresAt, options.nowMs)
    if (seconds === 0) continue
    const table = entry.family === 'ipv4' ? '/ip firewall address-list' : '/ipv6 firewall address-list'
    const keep = entry.family === 'ipv4' ? 'klKeep4' : 'klKeep6'
    const address = quote(routerOsAddress(entry))
    code.line(
      `:do { ${table} add list=$klListName address=${address} timeout=${seconds} comment=$klTag } on-error={ ` +
        `:do { ${table} set [${table} find where list=$klListName address=${address} comment=$klTag] timeout=${seconds} } on-error={} }`,
    )
    code.line(`:set ($${keep}->${address}) "1"`)
  }
  for (const [menu, keep] of [['ip', 'klKeep4'], ['ipv6', 'klKeep6']] as const) {
    const table = `/${menu} firewall address-list`
    code.open(`:foreach klId in=[${table} find where list=$klListName comment=$klTag] do={`)
    code.line(`:local klHave [:tostr [${table} get $klId address]]`)
    if (menu === 'ip') {
      code.line(':if ([:pick $klHave ([:len $klHave] - 3) [:len $klHave]] = "/32") do={ :set klHave [:pick $klHave 0 ([:len $klHave] - 3)] }')
    } else {
      code.line(':if ([:typeof [:find $klHave "/"]] != "num") do={ :set klHave ($klHave . "/128") }')
    }
    code.line(`:if ([:typeof ($${keep}->$klHave)] != "str") do={ :do { ${table} remove $klId } on-error={} }`)
    code.close()
  }
  code.line(`:log info ${quote(`knocklist ${snapshot.knoc}: imported version ${snapshot.version}`)}`)
  code.close()
  return code.toString()
}
