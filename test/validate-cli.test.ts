import { createServer } from 'node:net'
import t from 'tap'
import { temporaryDirectory } from './helpers/app.js'
import { runCli } from './helpers/process.js'
import { SERVICE_USER, startRouterEmulator } from './fixtures/routeros/emulator.js'

t.test('validate command exit status and codes', async (t) => {
  const emulator = await startRouterEmulator()
  t.teardown(() => emulator.close())
  const cwd = temporaryDirectory(t)
  const base = ['validate', '--url', emulator.url, '--username', SERVICE_USER.name, '--list', 'knocklist-office']

  const good = await runCli([...base, '--fingerprint', emulator.fingerprint], { cwd, env: { ROUTER_PASSWORD: SERVICE_USER.password } })
  t.equal(good.code, 0, `all checks pass: exit 0 (${good.stdout}${good.stderr})`)
  t.match(good.stdout, 'all checks passed', 'says so')

  const wrongPassword = await runCli([...base, '--fingerprint', emulator.fingerprint, '--password-env', 'OTHER'], { cwd, env: { OTHER: 'nope' } })
  t.equal(wrongPassword.code, 1, 'wrong password: exit 1')
  t.match(wrongPassword.stdout, '208001', 'prints the code')
  t.match(wrongPassword.stdout, 'docs/errors/208001.md', 'prints the page')

  const untrusted = await runCli(base, { cwd, env: { ROUTER_PASSWORD: SERVICE_USER.password } })
  t.equal(untrusted.code, 1, 'self-signed without pin: exit 1')
  t.match(untrusted.stdout, '208003', 'prints 208003')

  const wrongPin = await runCli([...base, '--fingerprint', 'ab'.repeat(32)], { cwd, env: { ROUTER_PASSWORD: SERVICE_USER.password } })
  t.match(wrongPin.stdout, '208004', 'wrong fingerprint: 208004')

  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as { port: number }).port
  await new Promise((resolve) => closed.close(resolve))
  const connectionRefused = await runCli(['validate', '--url', `https://127.0.0.1:${port}`, '--username', 'x', '--list', 'l', '--insecure'], { cwd, env: { ROUTER_PASSWORD: 'x' } })
  t.equal(connectionRefused.code, 1, 'refused port: exit 1')
  t.match(connectionRefused.stdout, '208005', 'refused port: 208005')

  const noPassword = await runCli(base, { cwd, env: { ROUTER_PASSWORD: '' } })
  t.equal(noPassword.code, 2, 'missing password variable: exit 2')
  t.match(noPassword.stderr, 'ROUTER_PASSWORD', 'names the variable')
})
