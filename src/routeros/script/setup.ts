// The setup script an admin pastes into the RouterOS terminal once. It
// installs the importer and its two schedulers; see importer.ts.
import { quoteRouterOsString as quote } from './escape.js'
import { checkScriptOptions, renderImporterScript, routerOsScriptNames, ScriptWriter, type RouterOsScriptOptions } from './importer.js'

/**
 * Policies of the importer script and its schedulers: `read` and `write` for
 * the address lists, `test` for `/tool fetch`. A scheduler needs at least the
 * policies of the script it runs, or RouterOS silently skips the run.
 */
export const IMPORTER_POLICIES = 'read,write,test'

/** Renders the setup script: idempotent, wrapped in `{ }` so that its `:local` variables survive across lines. */
export function renderSetupScript(options: RouterOsScriptOptions): string {
  const baseUrl = checkScriptOptions(options)
  const names = routerOsScriptNames(options.knoc)
  const importer = renderImporterScript(options)
  const interval = `${options.pollIntervalSeconds}s`
  const code = new ScriptWriter()

  code.line(`# knocklist setup for knoc ${options.knoc} (RouterOS 7.9 or newer).`)
  code.line('# Paste this whole block into the router terminal. Running it again replaces the earlier install.')
  code.line(`# 1. Removes the script ${names.script} and the schedulers ${names.startupScheduler} and ${names.pollScheduler} if present.`)
  code.line(`# 2. Adds the importer script ${names.script} with policies ${IMPORTER_POLICIES}: read and write`)
  code.line('#    for the address lists, test for /tool fetch.')
  code.line(`# 3. Adds a scheduler that runs it 3 s after boot and one that runs it every ${interval}.`)
  code.line(`# The importer downloads addresses and timeouts from ${baseUrl} and never runs downloaded text.`)
  code.line(`# It only changes entries of its address list whose comment is ${names.entryComment}.`)
  if (isRouterUnreachable(baseUrl)) {
    code.line(`# WARNING: a router cannot reach ${baseUrl}; set server.publicUrl in the knocklist config and get this script again.`)
  }
  if (baseUrl.startsWith('https:') && !options.checkCertificate) {
    code.line('# WARNING: certificate checks are off (check-certificate=no), so anyone on the network path')
    code.line('# can feed this router a different address list.')
  } else if (baseUrl.startsWith('https:')) {
    code.line('# The server certificate is checked: import the CA that signed it into /certificate first.')
  }
  if (baseUrl.startsWith('http:')) {
    code.line('# WARNING: the feed URL is plain HTTP, so the feed password and the list travel unencrypted.')
  }
  code.open('{')
  code.line(`:local klScriptName ${quote(names.script)}`)
  code.line(`:local klStartupName ${quote(names.startupScheduler)}`)
  code.line(`:local klPollName ${quote(names.pollScheduler)}`)
  code.line('/system scheduler remove [/system scheduler find where name=$klStartupName]')
  code.line('/system scheduler remove [/system scheduler find where name=$klPollName]')
  code.line('/system script remove [/system script find where name=$klScriptName]')
  // NOTE: the importer source goes in as one quoted line of about 20 KB. Pasting
  // a line that long has been tested only in the test interpreter, not on a router.
  code.line(
    `/system script add name=$klScriptName policy=${IMPORTER_POLICIES} dont-require-permissions=no ` +
      `comment=${quote(`knocklist importer for knoc ${options.knoc}`)} source=${quote(importer)}`,
  )
  code.line(`/system scheduler add name=$klStartupName start-time=startup interval=0 on-event=$klScriptName policy=${IMPORTER_POLICIES} comment=${quote('knocklist: run the importer after boot')}`)
  code.line(`/system scheduler add name=$klPollName interval=${interval} on-event=$klScriptName policy=${IMPORTER_POLICIES} comment=${quote('knocklist: poll the feed')}`)
  code.line(`:log info ${quote(`knocklist ${options.knoc}: importer installed, polling every ${interval}`)}`)
  code.close()
  return code.toString()
}

// Whether the URL names a loopback or unspecified host, which on a router
// means the router itself, not knocklist.
function isRouterUnreachable(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || host === '::' || host === '0.0.0.0' || /^127\./.test(host)
}
