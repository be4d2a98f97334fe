import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { commands } from '../src/cli/commands.js'
import { commandHelp } from '../src/cli/help.js'
import { adminToken, buildTestApp, listen, temporaryDirectory } from './helpers/app.js'
import { runCli } from './helpers/process.js'

t.test('grant, grants and revoke through the CLI', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const cwd = temporaryDirectory(t)
  const env = { KNOCKLIST_URL: base, KNOCKLIST_TOKEN: adminToken }

  const granted = await runCli(['grant', 'demo', '2001:DB8::5', '--ttl', '1h', '--user', 'alice', '--comment', 'laptop', '--json'], { cwd, env })
  t.equal(granted.code, 0, `grant exits 0 (${granted.stderr})`)
  const grant = JSON.parse(granted.stdout)
  t.equal(grant.address, '2001:db8::5', 'the canonical address is printed')

  const listed = await runCli(['grants', 'demo'], { cwd, env })
  t.equal(listed.code, 0, 'grants exits 0')
  t.match(listed.stdout, /2001:db8::5\s+\S+\s+alice\s+laptop/, 'the table lists address, user and comment')

  const knocs = await runCli(['knocs'], { cwd, env })
  t.equal(knocs.code, 0, `knocs exits 0 (${knocs.stderr})`)
  t.match(knocs.stdout, /^NAME\s+MODE\s+LIST\s+GRANTS\s+SOURCE\n/, 'knocs prints a header')
  t.match(knocs.stdout, /\ndemo\s+passive\s+knocklist-demo\s+1\s+config\n/, 'and the demo knoc with its grant count')
  const unknownKnoc = await runCli(['grants', 'nope'], { cwd, env })
  t.match(unknownKnoc.stderr, 'knocklist knocs', 'an unknown knoc points to the knocs command')

  const revoked = await runCli(['revoke', grant.id], { cwd, env })
  t.equal(revoked.code, 0, 'revoke exits 0')
  const again = await runCli(['revoke', grant.id], { cwd, env })
  t.equal(again.code, 1, 'revoking again exits 1')
  t.match(again.stderr, 'KNL_GRANT_NOT_FOUND', 'the error code is printed')
})

t.test('CLI errors name the fix', async (t) => {
  const cwd = temporaryDirectory(t)
  const unreachable = await runCli(['grants', 'demo'], { cwd, env: { KNOCKLIST_URL: 'http://127.0.0.1:1', KNOCKLIST_TOKEN: 'x' } })
  t.equal(unreachable.code, 1, 'unreachable server exits 1')
  t.match(unreachable.stderr, 'cannot reach knocklist at http://127.0.0.1:1', 'names the server')

  const noToken = await runCli(['grants', 'demo'], { cwd, env: { KNOCKLIST_URL: 'http://127.0.0.1:1', KNOCKLIST_TOKEN: '' } })
  t.equal(noToken.code, 1, 'missing token exits 1')
  t.match(noToken.stderr, 'KNOCKLIST_TOKEN', 'says where a token comes from')

  const usage = await runCli(['grant', 'demo'], { cwd })
  t.equal(usage.code, 2, 'missing argument exits 2')
  t.match(usage.stderr, 'expected KNOC and ADDRESS, got "demo"', 'names what was given')
  const help = await runCli(['grant', '--help'], { cwd })
  t.equal(help.code, 0, 'grant --help exits 0')
  t.match(help.stdout, 'Usage: knocklist', 'and prints the help')
  const unknown = await runCli(['frobnicate'], { cwd })
  t.equal(unknown.code, 2, 'unknown command exits 2')
  t.match(unknown.stderr, 'frobnicate', 'names the unknown command')
  const version = await runCli(['--version'], { cwd })
  t.match(version.stdout, /^\d+\.\d+\.\d+\n$/, '--version prints the version')
})

t.test('option errors name option and fix', async (t) => {
  const cwd = temporaryDirectory(t)
  const cases: Array<[string, string[], string]> = [
    ['negative ttl', ['grant', 'demo', '192.0.2.1', '--ttl', '-5m'], 'option --ttl: "-5m" is negative; a grant time must be positive, such as --ttl 5m'],
    ['value starting with a dash', ['grant', 'demo', '192.0.2.1', '--comment', '-1'], 'option --comment: the value "-1" starts with a dash, so it reads as another option; write --comment=-1 to pass it as the value'],
    ['repeated option', ['grant', 'demo', '192.0.2.1', '--comment', 'a', '--comment', '-1'], 'option --comment: the value "-1" starts with a dash, so it reads as another option; write --comment=-1 to pass it as the value'],
    ['option in place of a value', ['grant', 'demo', '192.0.2.1', '--user', '--ttl', '1h'], 'option --user needs a value, but the next argument is the option --ttl; give --user its value first'],
    ['missing value', ['grant', 'demo', '192.0.2.1', '--ttl'], 'option --ttl needs a value; run knocklist grant --help for its form'],
    ['option given twice', ['grant', 'demo', '192.0.2.1', '--ttl', '1h', '--ttl', '2h'], 'option --ttl is given more than once; give it once'],
    ['value for a flag', ['validate', '--insecure=yes'], 'option --insecure takes no value; write --insecure alone'],
    ['unknown option', ['grants', 'demo', '--colour'], 'unknown option --colour for grants; run knocklist grants --help for the options'],
  ]
  for (const [name, args, message] of cases) {
    const result = await runCli(args, { cwd })
    t.equal(result.code, 2, `${name}: exit 2`)
    t.match(result.stderr, `knocklist: ${message}\n`, `${name}: message`)
  }
})

t.test('check-config', async (t) => {
  const cwd = temporaryDirectory(t)
  const good = path.join(cwd, 'good.yaml')
  writeFileSync(good, 'knocs:\n  - name: office-ssh\n    ttl: { default: 8h, max: 24h }\n')
  const ok = await runCli(['check-config', '--config', good], { cwd })
  t.equal(ok.code, 0, 'a valid file exits 0')
  t.match(ok.stdout, 'valid, 1 knoc', 'says it is valid')

  const bad = path.join(cwd, 'bad.yaml')
  writeFileSync(bad, 'server:\n  port: 99999\nknocs:\n  - name: Office\n')
  const failed = await runCli(['check-config', '--config', bad], { cwd })
  t.equal(failed.code, 1, 'an invalid file exits 1')
  t.match(failed.stderr, 'server.port', 'the first problem is printed')
  t.match(failed.stderr, 'knocs[0].name', 'the second problem is printed')

  const rejected = await runCli(['serve', '--config', bad], { cwd })
  t.equal(rejected.code, 1, 'serve refuses to start on an invalid file')
  t.match(rejected.stderr, 'did not start', 'and says so')
})

t.test('audit command reads the trail', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const cwd = temporaryDirectory(t)
  const env = { KNOCKLIST_URL: base, KNOCKLIST_TOKEN: adminToken }
  await runCli(['grant', 'demo', '192.0.2.77', '--user', 'carol'], { cwd, env })

  const audit = await runCli(['audit', '--knoc', 'demo', '--limit', '5'], { cwd, env })
  t.equal(audit.code, 0, `audit exits 0 (${audit.stderr})`)
  t.match(audit.stdout, /^TIME\s+ACTION\s+KNOC\s+ADDRESS\s+CLIENT\s+ACTOR\s+DETAIL\n/, 'a header names the columns')
  t.match(audit.stdout, /grant\.created\s+demo\s+192\.0\.2\.77\s+127\.0\.0\.1\s+tests/, 'lists the grant with knoc, address, client and actor')
  const none = await runCli(['audit', '--knoc', 'nope'], { cwd, env })
  t.equal(none.stdout, 'no audit records match\n', 'an empty result says so')
  const bad = await runCli(['audit', '--limit', 'lots'], { cwd, env })
  t.equal(bad.code, 1, 'a bad limit exits 1')
  t.match(bad.stderr, 'KNL_REQUEST_INVALID', 'with the server code')
})

t.test('every command help names its options', async (t) => {
  for (const [name, command] of Object.entries(commands)) {
    const help = commandHelp[name]
    t.ok(help?.startsWith(`Usage: knocklist ${name}`), `${name}: has help starting with its usage`)
    for (const option of Object.keys(command.options)) t.match(help ?? '', `--${option}`, `${name}: help names --${option}`)
  }
  const cwd = temporaryDirectory(t)
  const auditHelp = await runCli(['audit', '--help'], { cwd })
  t.equal(auditHelp.code, 0, 'audit --help exits 0')
  t.equal(auditHelp.stdout, `${commandHelp.audit}\n`, 'and prints the help of audit')
})
