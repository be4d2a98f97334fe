// The RouterOS importer script: polled by the router's scheduler, it keeps one
// address list in step with a knoc's data pages (see pages.ts for the format).
//
// Rules the generated code follows, each because of a RouterOS behaviour:
// - Only commands and arguments present in the command trees of RouterOS 7.9
//   through 7.24, so `:do {} on-error={}` instead of `:onerror`, no `:jobname`,
//   no `/file/read`, and no `break` (loops test a flag instead).
// - Downloaded text only ever sits in variables, which RouterOS never parses
//   again. The script has no `:parse`, `:execute` or `/import`.
// - Variables start with `kl`, because inside `find where list=$list` a variable
//   named like a property reads the item's own property and matches everything.
// - Lines are walked by index. Whether `:find`'s start index is exclusive (as the
//   manual's example suggests) or inclusive, the walker finds the next line.
// - Nothing is changed until every page has arrived whole, from one snapshot.
// - Every comparison inside `&&` or `||` sits in its own parentheses, because
//   the manual does not state the operators' precedence.
import { quoteRouterOsString as quote } from './escape.js'
import { ENTRIES_PER_PAGE, MAX_PAGES, MAX_TIMEOUT_SECONDS, ROUTEROS_FORMAT_VERSION, routerOsPaths } from './pages.js'
import { assertKnocName } from './snapshot.js'

export interface RouterOsScriptOptions {
  knoc: string
  /** RouterOS address-list name the importer manages. */
  addressList: string
  /** Public base URL of the knocklist server, such as `https://knocklist.example.net`. */
  baseUrl: string
  feedUsername: string
  feedPassword: string
  /** Seconds between two runs of the periodic scheduler, from 10 to 86400. */
  pollIntervalSeconds: number
  /** False only when the admin opts out of certificate checks. */
  checkCertificate: boolean
}

export interface RouterOsScriptNames {
  /** `/system script` name of the importer. */
  script: string
  startupScheduler: string
  pollScheduler: string
  /** Comment that marks the address-list entries the importer manages. */
  entryComment: string
}

/**
 * Tolerance before the importer rewrites a timeout that differs from the feed's.
 * NOTE: timeouts are applied after the last page arrives, so an entry from an
 * early page lives on the router up to the download time longer than its grant.
 */
export const TIMEOUT_TOLERANCE_SECONDS = 30

export function routerOsScriptNames(knoc: string): RouterOsScriptNames {
  assertKnocName(knoc)
  const script = `knocklist-${knoc}`
  return {
    script,
    startupScheduler: `${script}-startup`,
    pollScheduler: `${script}-poll`,
    entryComment: `knocklist:${knoc}`,
  }
}

/** Validates the options and returns the feed base URL without a trailing slash. Raises a TypeError naming the invalid option. */
export function checkScriptOptions(options: RouterOsScriptOptions): string {
  assertKnocName(options.knoc)
  if (typeof options.addressList !== 'string' || options.addressList.length === 0 || options.addressList.length > 255) {
    throw new TypeError('addressList must be a RouterOS address-list name of 1 to 255 characters')
  }
  if (typeof options.feedUsername !== 'string' || options.feedUsername.length === 0) {
    throw new TypeError('feedUsername must not be empty: the importer always authenticates to the feed')
  }
  if (typeof options.feedPassword !== 'string') throw new TypeError('feedPassword must be a string')
  if (!Number.isInteger(options.pollIntervalSeconds) || options.pollIntervalSeconds < 10 || options.pollIntervalSeconds > 86_400) {
    throw new TypeError(`pollIntervalSeconds must be a whole number from 10 to 86400, got ${options.pollIntervalSeconds}`)
  }
  if (typeof options.checkCertificate !== 'boolean') throw new TypeError('checkCertificate must be true or false')

  let url: URL
  try {
    url = new URL(options.baseUrl)
  } catch {
    throw new TypeError(`baseUrl must be an absolute http or https URL, got ${JSON.stringify(options.baseUrl)}`)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`baseUrl must be an http or https URL without credentials, query or fragment, got ${JSON.stringify(options.baseUrl)}`)
  }
  return url.href.replace(/\/+$/, '')
}

/** Renders the importer script source that the setup script installs as a `/system script`. */
export function renderImporterScript(options: RouterOsScriptOptions): string {
  const baseUrl = checkScriptOptions(options)
  const names = routerOsScriptNames(options.knoc)
  const code = new ScriptWriter()
  const certificate = options.checkCertificate ? 'yes-without-crl' : 'no'
  const fetchArgs = `user=$klUser password=$klPassword check-certificate=${certificate} output=user as-value`

  code.line(`# knocklist importer for knoc ${options.knoc}, installed by the knocklist setup script.`)
  code.line('# Reads a version reply and, when the version changed, every data page; checks that')
  code.line('# all pages arrived whole and from one snapshot; only then adds, updates and removes')
  code.line(`# the entries of its address list whose comment is ${names.entryComment}.`)
  code.line('# Downloaded text is only ever data: this script never runs it.')
  code.open(`:if ([/system script job print count-only where script=${quote(names.script)}] > 1) do={`)
  code.line(`:log info ${quote(`knocklist ${options.knoc}: previous run still active, this run skipped`)}`)
  code.reopen('} else={')
  code.line(`:local klScriptName ${quote(names.script)}`)
  code.line(`:local klKnoc ${quote(options.knoc)}`)
  code.line(`:local klListName ${quote(options.addressList)}`)
  code.line(`:local klTag ${quote(names.entryComment)}`)
  code.line(`:local klBase ${quote(baseUrl + routerOsPaths(options.knoc).base)}`)
  code.line(`:local klUser ${quote(options.feedUsername)}`)
  code.line(`:local klPassword ${quote(options.feedPassword)}`)
  code.line('# Last good run per importer as "<version>/<managed entries>"; globals are lost on reboot,')
  code.line('# like the timed entries, so the first run after a boot is always a full one.')
  code.line(':global knocklistState')
  code.line(':if ([:typeof $knocklistState] != "array") do={ :set knocklistState [:toarray ""] }')
  code.line(':local klOk true')
  code.line(':local klProblem ""')
  code.line(':local klReply')
  code.line(':local klBody ""')
  code.line(':local klHead ""')
  code.line(':local klTok [:toarray ""]')
  code.line(':local klVersion ""')
  code.line(':local klPages 0')
  code.line(':local klCount 0')
  code.blank()

  code.line(`# Version reply: "knocklist-version ${ROUTEROS_FORMAT_VERSION} <knoc> <version> <pages> <count>", then "end".`)
  code.open(':do {')
  code.line(`:set klReply [/tool fetch url=($klBase . ${quote('/version')}) ${fetchArgs}]`)
  code.reopen('} on-error={')
  code.fail('"fetching the version reply failed"')
  code.close()
  writeReadBody(code, '"the version reply"')
  code.open(':if ($klOk) do={')
  code.line(':local klNl [:find $klBody "\\n"]')
  code.open(':if ([:typeof $klNl] != "num") do={')
  code.fail('"the version reply is empty or cut short"')
  code.reopen('} else={')
  code.line(':set klHead [:pick $klBody 0 $klNl]')
  code.line(':local klTail [:pick $klBody ($klNl + 1) [:len $klBody]]')
  code.open(':if (($klTail != "end\\n") && ($klTail != "end\\r\\n") && ($klTail != "end")) do={')
  code.fail('"the version reply is cut short or garbled"')
  code.close()
  code.close()
  code.close()
  writeSplitHead(code)
  code.open(':if ($klOk) do={')
  code.open(`:if (([:len $klTok] != 6) || (($klTok->0) != "knocklist-version") || (($klTok->1) != "${ROUTEROS_FORMAT_VERSION}") || (($klTok->2) != $klKnoc)) do={`)
  code.fail('"the version reply is garbled"')
  code.close()
  code.close()
  writeNumberCheck(code, '($klTok->3)', 0, undefined, '"the version reply is garbled"')
  writeNumberCheck(code, '($klTok->4)', 1, MAX_PAGES, '"the version reply is garbled"')
  writeNumberCheck(code, '($klTok->5)', 0, MAX_PAGES * ENTRIES_PER_PAGE, '"the version reply is garbled"')
  code.open(':if ($klOk) do={')
  code.line(':set klVersion ($klTok->3)')
  code.line(':set klPages [:tonum ($klTok->4)]')
  code.line(':set klCount [:tonum ($klTok->5)]')
  code.line('# Same version and managed entry count as the last good run: nothing to do.')
  code.line(':local klLast ($knocklistState->$klScriptName)')
  code.open(':if ([:typeof $klLast] = "str") do={')
  code.line(`:local klManaged (${countManaged('ip')} + ${countManaged('ipv6')})`)
  code.open(':if ($klLast = ($klVersion . "/" . $klManaged)) do={')
  code.line(':set klOk false')
  code.close()
  code.close()
  code.close()
  code.blank()

  writePages(code, fetchArgs)
  code.blank()
  writeApply(code)
  code.close()
  return code.toString()
}

// Reads `data` of the last fetch into klBody. A reply without `data` counts as empty.
function writeReadBody(code: ScriptWriter, replyName: string): void {
  code.open(':if ($klOk) do={')
  code.line(':set klBody ""')
  code.line(':if ([:typeof ($klReply->"data")] = "str") do={ :set klBody ($klReply->"data") }')
  code.open(':if (($klReply->"status") != "finished") do={')
  code.fail(`(${replyName} . " did not finish downloading")`)
  code.close()
  code.close()
}

// Splits klHead at spaces into klTok. A header has at most 8 words, so the loop
// stops after 12 and leaves the rest in the last word, which fails the checks.
function writeSplitHead(code: ScriptWriter): void {
  code.open(':if ($klOk) do={')
  code.line(':if ([:len $klHead] > 0) do={ :if ([:pick $klHead ([:len $klHead] - 1)] = "\\r") do={ :set klHead [:pick $klHead 0 ([:len $klHead] - 1)] } }')
  code.line(':set klTok [:toarray ""]')
  code.line(':local klRest $klHead')
  code.line(':local klSp [:find $klRest " "]')
  code.open(':while (([:typeof $klSp] = "num") && ([:len $klTok] < 12)) do={')
  code.line(':set klTok ($klTok, [:pick $klRest 0 $klSp])')
  code.line(':set klRest [:pick $klRest ($klSp + 1) [:len $klRest]]')
  code.line(':set klSp [:find $klRest " "]')
  code.close()
  code.line(':set klTok ($klTok, $klRest)')
  code.close()
}

// Fails unless `expression` is a decimal number without leading zeros within the bounds.
function writeNumberCheck(code: ScriptWriter, expression: string, min: number, max: number | undefined, problem: string): void {
  let bounds = `($klNum < ${min})`
  if (max !== undefined) bounds += ` || ($klNum > ${max})`
  code.open(':if ($klOk) do={')
  code.line(`:local klNum [:tonum ${expression}]`)
  code.open(':if ([:typeof $klNum] != "num") do={')
  code.fail(problem)
  code.reopen('} else={')
  code.open(`:if (([:tostr $klNum] != ${expression}) || ${bounds}) do={`)
  code.fail(problem)
  code.close()
  code.close()
  code.close()
}

function writePages(code: ScriptWriter, fetchArgs: string): void {
  code.line(`# Data pages: "knocklist-page ${ROUTEROS_FORMAT_VERSION} <knoc> <version> <page> <pages> <count> <entries>",`)
  code.line('# one "<4 or 6> <address> <seconds left>" line per entry, then "end". Entries')
  code.line('# with time left are collected per family, keyed by address, before any change.')
  code.line(':local klWant4 [:toarray ""]')
  code.line(':local klWant6 [:toarray ""]')
  code.line(':local klSeen 0')
  code.line(':local klPage 1')
  code.open(':while ($klOk && ($klPage <= $klPages)) do={')
  code.line(':local klPageName ("page " . $klPage)')
  code.open(':do {')
  code.line(`:set klReply [/tool fetch url=($klBase . ${quote('/pages/')} . $klPage . ${quote('?version=')} . $klVersion) ${fetchArgs}]`)
  code.reopen('} on-error={')
  code.fail('("fetching " . $klPageName . " failed")')
  code.close()
  writeReadBody(code, '$klPageName')
  code.line(':local klNl')
  code.open(':if ($klOk) do={')
  code.line(':set klNl [:find $klBody "\\n"]')
  code.open(':if ([:typeof $klNl] != "num") do={')
  code.fail('($klPageName . " is empty or cut short")')
  code.reopen('} else={')
  code.line(':set klHead [:pick $klBody 0 $klNl]')
  code.close()
  code.close()
  writeSplitHead(code)
  code.open(':if ($klOk) do={')
  code.open(`:if (([:len $klTok] != 8) || (($klTok->0) != "knocklist-page") || (($klTok->1) != "${ROUTEROS_FORMAT_VERSION}") || (($klTok->2) != $klKnoc)) do={`)
  code.fail('($klPageName . " is garbled")')
  code.reopen('} else={')
  code.open(':if ((($klTok->3) != $klVersion) || (($klTok->5) != [:tostr $klPages]) || (($klTok->6) != [:tostr $klCount])) do={')
  code.fail('("the feed changed while reading " . $klPageName . ", next run retries")')
  code.reopen('} else={')
  code.open(':if (($klTok->4) != [:tostr $klPage]) do={')
  code.fail('($klPageName . " is garbled")')
  code.close()
  code.close()
  code.close()
  code.close()
  writeNumberCheck(code, '($klTok->7)', 0, ENTRIES_PER_PAGE, '($klPageName . " is garbled")')

  code.open(':if ($klOk) do={')
  code.line(':local klPageEntries [:tonum ($klTok->7)]')
  code.line(':local klPrev $klNl')
  code.line('# Lines end in LF. CR LF is accepted too, and lines are checked for a CR only when the page contains one.')
  code.line(':local klHasCr ([:typeof [:find $klBody "\\r"]] = "num")')
  code.line(':local klDone false')
  code.line(':local klLines 0')
  code.line('# klPrev is the index of the newline before the next line. If the start index of :find')
  code.line('# turns out inclusive, the first search returns klPrev itself and is repeated one further.')
  code.open(':while ($klOk && !$klDone) do={')
  code.line(':local klNext [:find $klBody "\\n" $klPrev]')
  code.line(':if ([:typeof $klNext] = "num") do={ :if ($klNext = $klPrev) do={ :set klNext [:find $klBody "\\n" ($klPrev + 1)] } }')
  code.line(':local klUnterminated false')
  code.line(':if ([:typeof $klNext] != "num") do={ :set klNext [:len $klBody]; :set klUnterminated true }')
  code.line(':local klLine [:pick $klBody ($klPrev + 1) $klNext]')
  code.line(':if ($klHasCr) do={ :if ([:len $klLine] > 0) do={ :if ([:pick $klLine ([:len $klLine] - 1)] = "\\r") do={ :set klLine [:pick $klLine 0 ([:len $klLine] - 1)] } } }')
  code.open(':if ($klLine = "end") do={')
  code.line(':set klDone true')
  code.open(':if ($klNext < ([:len $klBody] - 1)) do={')
  code.fail('($klPageName . " has data after its end line")')
  code.close()
  code.reopen('} else={')
  code.open(':if ($klUnterminated) do={')
  code.fail('($klPageName . " is cut short")')
  code.reopen('} else={')
  code.line(':set klLines ($klLines + 1)')
  code.open(':if ($klLines > $klPageEntries) do={')
  code.fail('($klPageName . " has more entries than its header states")')
  code.reopen('} else={')
  writeEntryLine(code)
  code.close()
  code.close()
  code.close()
  code.line(':set klPrev $klNext')
  code.close()
  code.open(':if ($klOk && ($klLines != $klPageEntries)) do={')
  code.fail('($klPageName . " has fewer entries than its header states")')
  code.close()
  code.line(':set klSeen ($klSeen + $klLines)')
  code.close()
  code.line(':set klPage ($klPage + 1)')
  code.close()
  code.open(':if ($klOk && ($klSeen != $klCount)) do={')
  code.fail('"the pages hold a different number of entries than the version reply states"')
  code.close()
}

// Parses klLine as "<4 or 6> <address> <seconds>" and records it in klWant4 or klWant6.
function writeEntryLine(code: ScriptWriter): void {
  code.line(':local klFam ""')
  code.line(':local klAddr ""')
  code.line(':local klSecs ""')
  code.line(':local klSp [:find $klLine " "]')
  code.open(':if ([:typeof $klSp] = "num") do={')
  code.line(':set klFam [:pick $klLine 0 $klSp]')
  code.line(':local klRest [:pick $klLine ($klSp + 1) [:len $klLine]]')
  code.line(':set klSp [:find $klRest " "]')
  code.line(':if ([:typeof $klSp] = "num") do={ :set klAddr [:pick $klRest 0 $klSp]; :set klSecs [:pick $klRest ($klSp + 1) [:len $klRest]] }')
  code.close()

  code.line(':local klGood false')
  code.line(':local klNum [:tonum $klSecs]')
  code.line(`:if ([:typeof $klNum] = "num") do={ :if (([:tostr $klNum] = $klSecs) && ($klNum >= 0) && ($klNum <= ${MAX_TIMEOUT_SECONDS})) do={ :set klGood true } }`)

  code.open(':if ($klGood) do={')
  code.line(':set klGood false')
  code.line(':local klHost $klAddr')
  code.line(':local klBits ""')
  code.line(':local klSlash [:find $klAddr "/"]')
  code.line(':if ([:typeof $klSlash] = "num") do={ :set klHost [:pick $klAddr 0 $klSlash]; :set klBits [:pick $klAddr ($klSlash + 1) [:len $klAddr]] }')
  code.line(':local klBitsNum [:tonum $klBits]')
  code.line(':local klBitsOk false')
  code.line(':if ([:typeof $klBitsNum] = "num") do={ :if (([:tostr $klBitsNum] = $klBits) && ($klBitsNum >= 0)) do={ :set klBitsOk true } }')
  code.line('# IPv4 hosts come without /32 and IPv6 always with a prefix length, as RouterOS stores them.')
  code.open(':if ($klFam = "4") do={')
  code.open(':if ([:typeof [:toip $klHost]] = "ip") do={')
  code.line(':if (($klBits = "") && ([:typeof $klSlash] != "num")) do={ :set klGood true }')
  code.line(':if ($klBitsOk) do={ :if ($klBitsNum < 32) do={ :set klGood true } }')
  code.close()
  code.reopen('} else={')
  code.open(':if (($klFam = "6") && $klBitsOk) do={')
  code.line(':if (([:typeof [:toip6 $klHost]] = "ip6") && ($klBitsNum <= 128)) do={ :set klGood true }')
  code.close()
  code.close()
  code.close()

  code.open(':if (!$klGood) do={')
  code.fail('($klPageName . " has a garbled entry line")')
  code.reopen('} else={')
  code.open(':if ($klNum > 0) do={')
  code.line(':if ($klFam = "4") do={ :set ($klWant4->$klAddr) $klSecs } else={ :set ($klWant6->$klAddr) $klSecs }')
  code.close()
  code.close()
}

function writeApply(code: ScriptWriter): void {
  code.open(':if ($klOk) do={')
  code.line(':local klAdded 0')
  code.line(':local klUpdated 0')
  code.line(':local klRemoved 0')
  code.line(':local klKept 0')
  code.line(':local klFailed 0')
  writeApplyFamily(code, 'ip', '$klWant4')
  writeApplyFamily(code, 'ipv6', '$klWant6')
  code.line(`:local klManaged (${countManaged('ip')} + ${countManaged('ipv6')})`)
  code.line(':local klSummary ("version " . $klVersion . ": " . $klAdded . " added, " . $klUpdated . " updated, " . $klRemoved . " removed, " . $klManaged . " managed")')
  code.open(':if ($klFailed = 0) do={')
  code.line(':set ($knocklistState->$klScriptName) ($klVersion . "/" . $klManaged)')
  code.line(':if (($klAdded + $klUpdated + $klRemoved) > 0) do={ :log info ("knocklist " . $klKnoc . ": " . $klSummary) }')
  code.reopen('} else={')
  code.line(':set ($knocklistState->$klScriptName) ""')
  code.line(':log warning ("knocklist " . $klKnoc . ": " . $klSummary . ", " . $klFailed . " changes failed, next run retries")')
  code.close()
  code.reopen('} else={')
  code.line(':if ($klProblem != "") do={ :log warning ("knocklist " . $klKnoc . ": " . $klProblem . "; address list left unchanged") }')
  code.close()
}

// Updates and removes managed entries of one family, then adds the wanted
// entries not found. klWant values become "" once an entry is seen on the router.
function writeApplyFamily(code: ScriptWriter, menu: 'ip' | 'ipv6', want: string): void {
  const table = `/${menu} firewall address-list`
  const wantName = want.slice(1)
  code.line(`# ${menu === 'ip' ? 'IPv4' : 'IPv6'} entries of the managed list.`)
  code.open(`:foreach klId in=[${table} find where list=$klListName comment=$klTag] do={`)
  code.open(':do {')
  code.line(`:local klHave [:tostr [${table} get $klId address]]`)
  if (menu === 'ip') {
    code.line(':if ([:pick $klHave ([:len $klHave] - 3) [:len $klHave]] = "/32") do={ :set klHave [:pick $klHave 0 ([:len $klHave] - 3)] }')
  } else {
    code.line(':if ([:typeof [:find $klHave "/"]] != "num") do={ :set klHave ($klHave . "/128") }')
  }
  code.line(`:local klSecs (${want}->$klHave)`)
  code.open(':if (([:typeof $klSecs] = "str") && ($klSecs != "")) do={')
  code.line(`:set (${want}->$klHave) ""`)
  code.line(':local klWanted [:totime $klSecs]')
  code.line(`:local klCurrent [${table} get $klId timeout]`)
  code.line(':local klDrifted true')
  code.line(`:if ([:typeof $klCurrent] = "time") do={ :if ((($klWanted - $klCurrent) <= ${TIMEOUT_TOLERANCE_SECONDS}s) && (($klCurrent - $klWanted) <= ${TIMEOUT_TOLERANCE_SECONDS}s)) do={ :set klDrifted false } }`)
  code.line(`:if ($klDrifted) do={ ${table} set $klId timeout=$klSecs; :set klUpdated ($klUpdated + 1) }`)
  code.reopen('} else={')
  code.line(`${table} remove $klId`)
  code.line(':set klRemoved ($klRemoved + 1)')
  code.close()
  code.reopen('} on-error={')
  code.line(':set klFailed ($klFailed + 1)')
  code.close()
  code.close()

  code.open(`:foreach klAddr,klSecs in=$${wantName} do={`)
  code.open(':if ($klSecs != "") do={')
  code.open(':do {')
  code.line(`${table} add list=$klListName address=$klAddr timeout=$klSecs comment=$klTag`)
  code.line(':set klAdded ($klAdded + 1)')
  code.reopen('} on-error={')
  code.line('# An entry of the same address that the importer does not manage keeps it allowed.')
  code.line(`:if ([:len [${table} find where list=$klListName address=$klAddr]] > 0) do={ :set klKept ($klKept + 1) } else={ :set klFailed ($klFailed + 1) }`)
  code.close()
  code.close()
  code.close()
}

function countManaged(menu: 'ip' | 'ipv6'): string {
  return `[/${menu} firewall address-list print count-only where list=$klListName comment=$klTag]`
}

/** Indenting line writer for generated RouterOS code. */
export class ScriptWriter {
  #lines: string[] = []
  #depth = 0

  line(text: string): void {
    this.#lines.push('  '.repeat(this.#depth) + text)
  }

  blank(): void {
    this.#lines.push('')
  }

  /** Writes a line that opens a block and indents what follows. */
  open(text: string): void {
    this.line(text)
    this.#depth += 1
  }

  /** Writes a line such as `} else={` that closes one block and opens the next. */
  reopen(text: string): void {
    this.#depth -= 1
    this.line(text)
    this.#depth += 1
  }

  close(): void {
    this.#depth -= 1
    this.line('}')
  }

  /** Records a problem: the run stops and logs it as its one warning. */
  fail(problem: string): void {
    this.line(':set klOk false')
    this.line(`:set klProblem ${problem}`)
  }

  toString(): string {
    if (this.#depth !== 0) throw new Error(`generated RouterOS script has ${this.#depth} unclosed blocks`)
    return `${this.#lines.join('\n')}\n`
  }
}

/** Options of the example scripts in routeros-scripts/. The password is a placeholder. */
export const EXAMPLE_OPTIONS: Readonly<RouterOsScriptOptions> = Object.freeze({
  knoc: 'office-ssh',
  addressList: 'knocknoc-users',
  baseUrl: 'https://knocklist.example.net',
  feedUsername: 'feed',
  feedPassword: 'CHANGE-ME',
  pollIntervalSeconds: 60,
  checkCertificate: true,
})
