import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, loadConfigFile, parseConfig } from '../src/config/load.js'
import { temporaryDirectory } from './helpers/app.js'

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action()
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

t.test('built-in defaults', async (t) => {
  const cwd = temporaryDirectory(t)
  const { config, file } = loadConfig({ cwd, env: {} })
  t.equal(file, undefined, 'no file used')
  t.equal(config.server.host, '127.0.0.1', 'host 127.0.0.1')
  t.equal(config.server.port, 8080, 'port 8080')
  t.equal(config.dataDir, path.join(cwd, 'data'), 'data in ./data')
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.server), 'config is frozen')
})

t.test('environment substitution', async (t) => {
  const dir = temporaryDirectory(t)
  const file = path.join(dir, 'knocklist.yaml')
  writeFileSync(file, [
    'adminTokens:',
    '  - name: ops',
    '    token: ${ADMIN_TOKEN}',
    'knocs:',
    '  - name: office-ssh',
    '    feed:',
    '      password: "${FEED_PASSWORD}"',
    '    addressList: "literal-$${NOT_A_VAR}"',
    '',
  ].join('\n'))
  const config = loadConfigFile(file, { ADMIN_TOKEN: 'a'.repeat(32), FEED_PASSWORD: 'p: ${x} # not yaml' })
  t.equal(config.adminTokens[0]?.token, 'a'.repeat(32), 'token from the environment')
  t.equal(config.knocs?.[0]?.feed.password, 'p: ${x} # not yaml', 'a value is never parsed as YAML or substituted again')
  t.equal(config.knocs?.[0]?.addressList, 'literal-${NOT_A_VAR}', '$${...} stays literal')

  const problems = problemsOf(() => loadConfigFile(file, { ADMIN_TOKEN: 'a'.repeat(32) }))
  t.equal(problems.length, 1, 'one problem')
  t.match(problems[0], 'knocs[0].feed.password', 'names the key path')
  t.match(problems[0], 'FEED_PASSWORD is not set', 'names the variable')
})

t.test('every problem named with its key path', async (t) => {
  const problems = problemsOf(() =>
    parseConfig(
      {
        server: { port: 70000, hots: 'x' },
        knocs: [
          { name: 'Bad Name' },
          { name: 'fine', mode: 'active', ttl: { default: '2d', max: '1d' } },
          { name: 'fine2', ttl: { default: 'soon' }, routers: [{ name: 'r1', url: 'ftp://x', username: 'u', password: 'p', fingerprint: 'zz' }] },
        ],
      },
      { source: 'test', baseDir: '/', env: {} },
    ),
  )
  const text = problems.join('\n')
  t.match(text, /server\.port: .*70000/, 'port out of range, with the value')
  t.match(text, /server: unknown key "hots"/, 'unknown key named')
  t.match(text, /knocs\[0\]\.name: must be 1 to 63 lower-case/, 'bad knoc name with the rule')
  t.match(text, /knocs\[1\]\.routers: mode active needs at least one router/, 'active without routers')
  t.match(text, /knocs\[1\]\.ttl: ttl\.default must not be longer than ttl\.max/, 'default above max')
  t.match(text, /knocs\[2\]\.ttl\.default: invalid duration "soon"/, 'bad duration')
  t.match(text, /knocs\[2\]\.routers\[0\]\.url: must be an http/, 'bad router URL')
  t.match(text, /knocs\[2\]\.routers\[0\]\.fingerprint: must be the SHA-256/, 'bad fingerprint')
})

t.test('type and range problems say what is needed', async (t) => {
  const problems = problemsOf(() =>
    parseConfig(
      { server: { port: 'eighty' }, knocs: [{ name: 'office', prefix: { ipv6: 129 }, mode: 'active', routers: [{ name: 'r1', url: 'https://192.0.2.1', username: 'u' }] }] },
      { source: 'test', baseDir: '/', env: {} },
    ),
  )
  t.ok(problems.includes('server.port: must be a number (got "eighty")'), 'a wrong type names the type')
  const articles = problemsOf(() => parseConfig({ server: { authFailures: { max: 'ten' } }, audit: 'yes' }, { source: 'test', baseDir: '/', env: {} }))
  t.ok(articles.includes('audit: must be an object (got "yes")'), `an object is named with its article (${articles.join('; ')})`)
  t.ok(problems.includes('knocs[0].prefix.ipv6: must be at most 128 (got 129)'), 'a number out of range names the limit')
  t.ok(problems.includes('knocs[0].routers[0].password: missing; add it (a string)'), 'a missing key says to add it')
})

t.test('auth failure limits checked', async (t) => {
  const problems = problemsOf(() => parseConfig({ server: { authFailures: { max: 0, window: '2d' } } }, { source: 'test', baseDir: '/', env: {} }))
  t.ok(problems.includes('server.authFailures.max: must be at least 1 (got 0)'), 'a zero limit names the minimum')
  t.ok(problems.includes('server.authFailures.window: must be from 1s to 1d (got "2d")'), `a long window names the range and the value (${problems.join('; ')})`)
  const parsed = parseConfig({}, { source: 'test', baseDir: '/', env: {} })
  t.same(parsed.server.authFailures, { max: 10, window: 60 }, 'defaults: 10 failures a minute')
})

t.test('duplicate names listed with other problems', async (t) => {
  const problems = problemsOf(() =>
    parseConfig(
      {
        server: { port: 'eighty' },
        adminTokens: [
          { name: 'ops', token: 'first-admin-token-0123456789abcdef' },
          { name: 'ops', token: 'other-admin-token-0123456789abcdef' },
        ],
        knocs: [{ name: 'office' }, { name: 'office', ttl: { default: 'soon' } }],
      },
      { source: 'test', baseDir: '/', env: {} },
    ),
  )
  const text = problems.join('\n')
  t.match(text, /server\.port:/, 'the bad port')
  t.match(text, /knocs\[1\]\.ttl\.default: invalid duration/, 'the bad duration')
  t.match(text, /knocs\[1\]\.name: knoc name "office" is declared twice/, 'the duplicate knoc in the same list')
  t.match(text, /adminTokens\[1\]\.name: token name "ops" is used twice; give each/, 'the duplicate token with its fix')
  t.equal(problems.filter((problem) => problem.includes('twice')).length, 2, 'each duplicate reported once')

  const alone = problemsOf(() => parseConfig({ knocs: [{ name: 'office' }, { name: 'office' }] }, { source: 'test', baseDir: '/', env: {} }))
  t.same(alone, ['knocs[1].name: knoc name "office" is declared twice; give each knoc its own name'], 'a duplicate alone is still an error')
})

t.test('secrets never printed in problems', async (t) => {
  const problems = problemsOf(() =>
    parseConfig({ adminTokens: [{ name: 'ops', token: 'short-secret' }] }, { source: 'test', baseDir: '/', env: {} }),
  )
  t.match(problems.join('\n'), 'adminTokens[0].token', 'the key is named')
  t.notMatch(problems.join('\n'), 'short-secret', 'the value is not printed')
})

t.test('yaml syntax errors and missing files', async (t) => {
  const dir = temporaryDirectory(t)
  const file = path.join(dir, 'broken.yaml')
  writeFileSync(file, 'server:\n  port: [1\n')
  t.match(problemsOf(() => loadConfigFile(file)).join('\n'), 'YAML syntax', 'syntax error reported')
  const duplicate = path.join(dir, 'duplicate.yaml')
  writeFileSync(duplicate, 'dataDir: a\ndataDir: b\n')
  t.match(problemsOf(() => loadConfigFile(duplicate)).join('\n'), 'YAML syntax', 'duplicate keys rejected')
  t.match(problemsOf(() => loadConfigFile(path.join(dir, 'missing.yaml'))).join('\n'), 'does not exist', 'missing file reported')
})

t.test('fingerprint normalised and durations in seconds', async (t) => {
  const fingerprint = 'AB:'.repeat(31) + 'AB'
  // The CA file must exist, as a PEM certificate, in the config folder.
  const configDir = temporaryDirectory(t)
  writeFileSync(path.join(configDir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
  const config = parseConfig(
    {
      knocs: [{ name: 'edge', mode: 'active', ttl: { default: '1h30m', max: 86400 }, routers: [{ name: 'edge1', url: 'https://192.0.2.1', username: 'u', password: 'p', fingerprint, ca: 'ca.pem' }] }],
    },
    { source: 'test', baseDir: configDir, env: {} },
  )
  const knoc = config.knocs![0]!
  t.equal(knoc.ttl.default, 5400, '1h30m is 5400 seconds')
  t.equal(knoc.ttl.max, 86400, 'a number is seconds')
  t.equal(knoc.routers[0]?.fingerprint, 'ab'.repeat(32), 'fingerprint without colons, lower case')
  t.equal(knoc.routers[0]?.ca, path.join(configDir, 'ca.pem'), 'relative paths resolved against the config folder')
  t.equal(knoc.addressList, 'knocklist-edge', 'address list defaults from the knoc name')
})
