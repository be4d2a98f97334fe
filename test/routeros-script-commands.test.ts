// Every command path and argument name in the generated RouterOS scripts must
// exist in the command tree of every supported RouterOS version, 7.9 to 7.24.
import t from 'tap'
import { renderImporterScript, type RouterOsScriptOptions } from '../src/routeros/script/importer.js'
import { renderImportRsc } from '../src/routeros/script/rsc.js'
import { renderSetupScript } from '../src/routeros/script/setup.js'
import { checkAgainstTree, collectCommandUses, loadTree, TREE_VERSIONS } from './fixtures/routeros-interpreter/command-tree.js'
import { parseScript, toByteString } from './fixtures/routeros-interpreter/parse.js'

const options: RouterOsScriptOptions = {
  knoc: 'office-ssh',
  addressList: 'knocknoc-users',
  baseUrl: 'https://knocklist.example.net',
  feedUsername: 'feed',
  feedPassword: 'secret',
  pollIntervalSeconds: 60,
  checkCertificate: true,
}
const now = Date.UTC(2024, 0, 1)
const scripts: Record<string, string> = {
  setup: renderSetupScript(options),
  'setup without certificate checks': renderSetupScript({ ...options, checkCertificate: false }),
  importer: renderImporterScript(options),
  rsc: renderImportRsc(
    {
      knoc: 'office-ssh',
      version: 3,
      entries: [
        { address: '192.0.2.1', family: 'ipv4', expiresAt: now + 60_000 },
        { address: '2001:db8::1', family: 'ipv6', expiresAt: now + 60_000 },
      ],
    },
    { addressList: 'knocknoc-users', nowMs: now },
  ),
}

for (const version of TREE_VERSIONS) {
  t.test(`generated scripts fit RouterOS ${version}`, async (t) => {
    const tree = loadTree(version)
    for (const [name, source] of Object.entries(scripts)) {
      const uses = collectCommandUses(parseScript(toByteString(source)))
      t.ok(uses.length > 10, `${name} has commands to check`)
      t.same(checkAgainstTree(uses, tree), [], `${name} uses only commands and arguments of ${version}`)
    }
  })
}

t.test('setup check covers the embedded importer', async (t) => {
  const uses = collectCommandUses(parseScript(toByteString(scripts.setup ?? '')))
  t.ok(uses.some((use) => use.path === 'tool/fetch'), 'fetch inside the importer source is collected')
  const fetch = uses.find((use) => use.path === 'tool/fetch')
  t.same(fetch?.args.sort(), ['as-value', 'check-certificate', 'output', 'password', 'url', 'user'])
})

t.test('checker rejects commands newer than 7.9', async (t) => {
  const tree = loadTree('7.9')
  t.same(checkAgainstTree([{ path: 'onerror', args: [], line: 1 }], tree), ['line 1: no command onerror'])
  t.same(checkAgainstTree([{ path: 'jobname', args: [], line: 2 }], tree), ['line 2: no command jobname'])
  t.same(checkAgainstTree([{ path: 'tool/fetch', args: ['idle-timeout'], line: 3 }], tree), ['line 3: tool/fetch has no argument idle-timeout'])
  t.same(checkAgainstTree([{ path: 'tool/fetch', args: ['http-auth-scheme'], line: 4 }], tree), ['line 4: tool/fetch has no argument http-auth-scheme'])
  t.same(checkAgainstTree([{ path: 'onerror', args: [], line: 5 }], loadTree('7.24')), [], '7.24 has :onerror')
})

t.test('scripts never turn fetched text into code', async (t) => {
  for (const [name, source] of Object.entries(scripts)) {
    const paths = collectCommandUses(parseScript(toByteString(source))).map((use) => use.path)
    for (const forbidden of ['parse', 'execute', 'import']) t.notOk(paths.includes(forbidden), `${name} does not call :${forbidden}`)
  }
})
