// Unit tests of the RouterOS script interpreter that the importer tests rely on.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { ManualClock } from './fixtures/routeros/address-list.js'
import { RouterOsInterpreter, RouterOsScriptError, StepLimitError } from './fixtures/routeros-interpreter/interpreter.js'
import { parseScript, RouterOsParseError, toByteString } from './fixtures/routeros-interpreter/parse.js'

function newRouter(options: { findStartIsExclusive?: boolean; maxSteps?: number } = {}): { clock: ManualClock; router: RouterOsInterpreter } {
  const clock = new ManualClock()
  return { clock, router: new RouterOsInterpreter({ clock, ...options }) }
}

async function output(script: string, options: { findStartIsExclusive?: boolean } = {}): Promise<string[]> {
  const { router } = newRouter(options)
  await router.paste(script)
  return router.output
}

t.test('syntax errors', async (t) => {
  const cases: Array<[string, string]> = [
    ['single-quoted string', ":put 'hello'"],
    ['unclosed brace', ':if (true) do={ :put 1'],
    ['extra closing brace', ':put 1 }'],
    ['unterminated string', ':put "abc'],
    ['lowercase hex escape', ':put "\\0a"'],
    ['unknown escape', ':put "\\q"'],
    ['raw question mark in string', ':put "why?"'],
    ['unknown command', ':frobnicate 1'],
    ['bare dollar', ':put "$"'],
    ['unclosed bracket', ':put [:len "a"'],
  ]
  for (const [name, script] of cases) t.throws(() => parseScript(toByteString(script)), RouterOsParseError, name)
})

t.test('nothing runs when the paste has a syntax error', async (t) => {
  const { router } = newRouter()
  await t.rejects(router.paste(':put 1\n:put \'x\''), RouterOsParseError)
  t.same(router.output, [])
  t.equal(router.steps, 0)
})

t.test('strings, escapes and substitution', async (t) => {
  t.same(
    await output([
      ':local a "x"',
      ':local n 4',
      ':put "a=$a n=$n sum=$($n + 1) len=$[:len "abc"]"',
      ':put "tab\\09q\\"b\\\\s\\$a\\?\\_e"',
      ':put ("caf" . "\\C3\\A9")',
    ].join('\n')),
    ['a=x n=4 sum=5 len=3', 'tab\tq"b\\s$a? e', 'café'],
  )
})

t.test('comments, semicolons and line continuation', async (t) => {
  t.same(await output('# a comment\n:put 1; :put 2\n:put \\\n  3 # trailing'), ['1', '2', '3'])
})

t.test('local scope and globals', async (t) => {
  const { router } = newRouter()
  await router.paste('{ :local a 1; { :local a 2; :put $a }; :put $a }\n:global g 5\n{ :global g; :set g ($g + 1) }')
  t.same(router.output, ['2', '1'])
  t.same(router.globals.get('g'), { type: 'num', value: 6 })
  await t.rejects(router.paste(':put $undefinedThing'), RouterOsScriptError)
})

t.test('for counts down when to is below from', async (t) => {
  t.same(await output(':for i from=0 to=-1 do={ :put $i }'), ['0', '-1'])
  t.same(await output(':for i from=1 to=3 do={ :put $i }'), ['1', '2', '3'])
})

t.test('foreach, while and if', async (t) => {
  t.same(
    await output([
      '{',
      ':local arr [:toarray "a,b"]',
      ':set arr ($arr, "c")',
      ':foreach v in=$arr do={ :put $v }',
      ':local keyed [:toarray ""]',
      ':set ($keyed->"k") "v"',
      ':foreach k,v in=$keyed do={ :put "$k=$v" }',
      ':local i 0',
      ':while ($i < 2) do={ :set i ($i + 1) }',
      ':if ($i = 2) do={ :put "two" } else={ :put "other" }',
      ':foreach v in=[:toarray ""] do={ :put "never" }',
      '}',
    ].join('\n')),
    ['a', 'b', 'c', 'k=v', 'two'],
  )
})

t.test('do on-error catches a runtime error', async (t) => {
  t.same(await output(':do { :error "boom"; :put "after" } on-error={ :put "caught" }\n:put "next"'), ['caught', 'next'])
})

t.test(':find start index readings', async (t) => {
  const script = ':put [:find "a\\nb\\nc" "\\n" 1]\n:put [:find "a\\nb" "a"]\n:put [:typeof [:find "abc" "z"]]'
  t.same(await output(script), ['3', '0', 'nil'], 'exclusive: search starts after the index')
  t.same(await output(script, { findStartIsExclusive: false }), ['1', '0', 'nil'], 'inclusive: search starts at the index')
})

t.test('pick, len and conversions', async (t) => {
  t.same(
    await output([
      ':put [:pick "hello" 1 3]',
      ':put [:pick "hello" 4]',
      ':put [:pick "hello" 3 99]',
      ':put [:len "hello"]',
      ':put [:typeof [:tonum "42"]]',
      ':put [:typeof [:tonum "4x"]]',
      ':put [:typeof [:toip "192.0.2.1"]]',
      ':put [:typeof [:toip "2001:db8::1"]]',
      ':put [:typeof [:toip6 "2001:db8::1"]]',
      ':put [:typeof [:toip6 "192.0.2.1"]]',
      ':put [:typeof [:totime "3600"]]',
      ':put ([:totime "90"] > 60s)',
      ':put [:tostr 15]',
      ':put [:typeof ""]',
    ].join('\n')),
    ['el', 'o', 'lo', '5', 'num', 'nil', 'ip', 'nil', 'ip6', 'nil', 'time', 'true', '15', 'str'],
  )
})

t.test('arithmetic and comparison', async (t) => {
  t.same(await output(':put (2 + 3 * 4)\n:put (7 / 2)\n:put (7 % 2)\n:put ("a" < "b")\n:put (1 != 2 && !false)\n:put (30s - 10s)'), [
    '14', '3', '1', 'true', 'true', '00:00:20',
  ])
  await t.rejects(newRouter().router.paste(':put (1 + "a")'), RouterOsScriptError)
})

t.test('return stops the script', async (t) => {
  t.same(await output(':put 1\n:return 0\n:put 2'), ['1'])
})

t.test('address-list commands', async (t) => {
  const { clock, router } = newRouter()
  await router.paste([
    '/ip firewall address-list add list=a address=192.0.2.1/32 timeout=60 comment=x',
    '/ip firewall address-list add list=a address=10.1.2.3/8',
    '/ipv6 firewall address-list add list=a address=2001:db8::1',
    ':put [:len [/ip firewall address-list find where list=a]]',
    ':put [/ip firewall address-list print count-only where list=a comment=x]',
    ':local id [/ip firewall address-list find where address=192.0.2.1]',
    ':put [/ip firewall address-list get $id address]',
    ':put [:typeof [/ip firewall address-list get $id timeout]]',
    '/ip firewall address-list set $id timeout=120 comment=y',
    ':put [/ip firewall address-list get $id comment]',
    ':put [/ipv6 firewall address-list get [/ipv6 firewall address-list find] address]',
    '/ip firewall address-list remove [/ip firewall address-list find where address=10.0.0.0/8]',
  ].join('\n'))
  t.same(router.output, ['2', '1', '192.0.2.1', 'time', 'y', '2001:db8::1/128'])
  t.same(router.ipv4.all().map((entry) => [entry.address, entry.timeout]), [['192.0.2.1', 120]])
  clock.advance(121_000)
  t.same(router.ipv4.all(), [], 'timed entry expired')
})

t.test('duplicate add raises already have such entry', async (t) => {
  const { router } = newRouter()
  await router.paste('/ip firewall address-list add list=a address=192.0.2.1')
  await t.rejects(router.paste('/ip firewall address-list add list=a address=192.0.2.1/32'), { message: 'failure: already have such entry' })
})

t.test('IPv6 address in the IPv4 table fails', async (t) => {
  const { router } = newRouter()
  await t.rejects(router.paste('/ip firewall address-list add list=a address=2001:db8::1'), { message: /not a valid dns name/ })
})

t.test('variable named like a property matches every item', async (t) => {
  const { router } = newRouter()
  await router.paste('/ip firewall address-list add list=a address=192.0.2.1\n/ip firewall address-list add list=b address=192.0.2.2')
  await router.paste('{ :local list "a"; :put [:len [/ip firewall address-list find where list=$list]] }')
  await router.paste('{ :local klList "a"; :put [:len [/ip firewall address-list find where list=$klList]] }')
  t.same(router.output, ['2', '1'])
})

t.test('reboot drops timed entries and globals', async (t) => {
  const { router } = newRouter()
  await router.paste(':global g 1\n/ip firewall address-list add list=a address=192.0.2.1 timeout=1h\n/ip firewall address-list add list=a address=192.0.2.2')
  await router.reboot()
  t.same(router.ipv4.all().map((entry) => entry.address), ['192.0.2.2'])
  t.equal(router.globals.size, 0)
})

t.test('scripts, jobs and schedulers', async (t) => {
  const { router } = newRouter()
  await router.paste([
    '/system script add name=count policy=read source=":put [/system script job print count-only where script=count]"',
    '/system scheduler add name=boot start-time=startup interval=0 on-event=count policy=read,write',
    '/system scheduler add name=poll interval=1m on-event=count policy=read',
    '/system scheduler add name=weak interval=1m on-event=count policy=write',
  ].join('\n'))
  await router.runStartupSchedulers()
  await router.runPeriodicSchedulers()
  t.same(router.output, ['1', '1'], 'one run each from boot and poll, each seeing its own job')
  t.same(router.skippedRuns, [{ scheduler: 'weak', script: 'count' }])
  await router.paste('/system scheduler remove [/system scheduler find where name=weak]\n/system script remove [/system script find where name=count]')
  t.equal(router.scripts.length, 0)
  t.equal(router.schedulers.length, 2)
})

t.test('script without a needed policy fails', async (t) => {
  const { router } = newRouter()
  await router.paste('/system script add name=w policy=read source="/ip firewall address-list add list=a address=192.0.2.1"')
  await router.runScript('w').catch(() => undefined)
  t.same(router.ipv4.all(), [])
  await router.paste('/system scheduler add name=s interval=1m on-event=w policy=read')
  await router.runPeriodicSchedulers()
  t.match(router.logs.at(-1)?.message, /not enough permissions/)
})

t.test('steps count executed commands', async (t) => {
  const { router } = newRouter()
  await router.paste(':local a 1\n:set a [:len "xy"]')
  t.equal(router.steps, 3)
  const limited = newRouter({ maxSteps: 100 }).router
  await t.rejects(limited.paste(':while (true) do={ :local x 1 }'), StepLimitError)
  await t.rejects(newRouter({ maxSteps: 100 }).router.paste(':while (true) do={}'), StepLimitError)
})

t.test('fetch over HTTP', async (t) => {
  const big = 'x'.repeat(70_000)
  const server = http.createServer((request, response) => {
    if (request.url === '/big') response.writeHead(200, { 'content-length': big.length }).end(big)
    else if (request.url === '/auth') {
      const body = request.headers.authorization ?? 'none'
      response.writeHead(200, { 'content-length': body.length }).end(body)
    } else if (request.url === '/nolength') {
      response.useChunkedEncodingByDefault = false
      response.shouldKeepAlive = false
      response.writeHead(200, { connection: 'close' }).end('abc')
    } else response.writeHead(404, { 'content-length': 9 }).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const { router } = newRouter()
  await router.paste(`:put [:len ([/tool fetch url="${base}/big" output=user as-value]->"data")]`)
  t.same(router.output, ['65536'], 'data cut at 64 KB without an error')
  await router.paste(`:put ([/tool fetch url="${base}/auth" user=u password=p output=user as-value]->"data")`)
  t.equal(router.output[1], `Basic ${Buffer.from('u:p').toString('base64')}`)
  await t.rejects(router.paste(`/tool fetch url="${base}/missing" output=user as-value`), RouterOsScriptError, 'HTTP error status is a script error')
  await t.rejects(router.paste(`/tool fetch url="${base}/nolength" output=user as-value`), { message: /no content-length/ })
  await t.rejects(router.paste('/tool fetch url="http://192.0.2.1/" output=user as-value'), { message: /only from loopback/ })
  const noTest = newRouter().router
  await noTest.paste(`/system script add name=f policy=read source=":do { /tool fetch url=\\"${base}/big\\" output=user as-value } on-error={ :put \\"denied\\" }"`)
  await noTest.runScript('f')
  t.same(noTest.output, ['denied'], 'fetch needs the test policy')
})
