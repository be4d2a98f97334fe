import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { temporaryDirectory } from './helpers/app.js'
import { runCli, startServerProcess } from './helpers/process.js'

// The built-in defaults listen on 127.0.0.1:8080, so this is the one test
// that uses a fixed port.
t.test('serve with no config', async (t) => {
  const cwd = temporaryDirectory(t)
  const server = await startServerProcess(t, { cwd })
  t.equal(server.url, 'http://127.0.0.1:8080', 'listens on 127.0.0.1:8080')

  const tokenFile = path.join(cwd, 'data', 'admin-token')
  const passwordFile = path.join(cwd, 'data', 'feed-password')
  t.equal(statSync(tokenFile).mode & 0o777, 0o600, 'token file has mode 0600')
  t.equal(statSync(passwordFile).mode & 0o777, 0o600, 'feed password file has mode 0600')
  t.equal(statSync(path.join(cwd, 'data', 'knocklist.db')).mode & 0o777, 0o600, 'database has mode 0600')
  const token = readFileSync(tokenFile, 'utf8').trim()
  const password = readFileSync(passwordFile, 'utf8').trim()
  t.match(server.stderr(), token, 'the token is printed on first start')
  t.match(server.stderr(), password, 'the feed password is printed on first start')
  t.notMatch(server.stdout(), token, 'the token is not in the log')

  const granted = await runCli(['grant', 'demo', '203.0.113.7', '--ttl', '5m'], { cwd, env: { KNOCKLIST_TOKEN: '', KNOCKLIST_URL: '' } })
  t.equal(granted.code, 0, `grant exits 0 (${granted.stderr})`)
  t.match(granted.stdout, 'granted 203.0.113.7 on demo', 'grant reports the address')

  const feedAuth = { authorization: `Basic ${Buffer.from(`feed:${password}`).toString('base64')}` }
  const feed = await fetch(`${server.url}/v1/feeds/demo.txt`, { headers: feedAuth })
  t.equal(await feed.text(), '203.0.113.7\n', 'the demo feed lists the grant at once')

  const id = /grant ([0-9a-f-]{36})/.exec(granted.stdout)?.[1]
  const revoked = await runCli(['revoke', id!], { cwd, env: { KNOCKLIST_TOKEN: '' } })
  t.equal(revoked.code, 0, 'revoke exits 0')
  const after = await fetch(`${server.url}/v1/feeds/demo.txt`, { headers: feedAuth })
  t.equal(await after.text(), '', 'the feed is empty after the revoke')

  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null }, 'SIGTERM exits 0')

  const second = await startServerProcess(t, { cwd })
  t.notMatch(second.stderr(), token, 'the token is not printed again')
  second.child.kill('SIGTERM')
  await second.exited
})
