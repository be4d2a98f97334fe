// CA files of routers: checked before a knoc is stored or a config is
// accepted, and a file that goes missing later never stops the server.
import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ConfigError, parseConfig } from '../src/config/load.js'
import { adminToken, buildTestApp, listen, temporaryDirectory } from './helpers/app.js'

const bearer = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }
const routerCertificate = fileURLToPath(new URL('./fixtures/routeros/tls/router.cert.pem', import.meta.url))

function activeKnoc(ca: string) {
  return { mode: 'active', routers: [{ name: 'edge1', url: 'https://127.0.0.1:1', username: 'knocklist', password: 'router-password', ca }] }
}

t.test('stored knoc with an unusable CA file rejected', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const folder = temporaryDirectory(t)
  const notPem = path.join(folder, 'notes.txt')
  writeFileSync(notPem, 'not a certificate\n')
  const cases = [
    { name: 'missing file', ca: path.join(folder, 'missing.pem'), mentions: 'does not exist' },
    { name: 'relative path', ca: 'router-ca.pem', mentions: 'relative path' },
    { name: 'not PEM', ca: notPem, mentions: 'no PEM certificate' },
  ]
  for (const testCase of cases) {
    const reply = await fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: bearer, body: JSON.stringify(activeKnoc(testCase.ca)) })
    t.equal(reply.status, 400, `${testCase.name}: 400`)
    const body = (await reply.json()) as { code: string; message: string }
    t.equal(body.code, 'KNL_KNOC_INVALID', `${testCase.name}: KNL_KNOC_INVALID`)
    t.match(body.message, testCase.mentions, `${testCase.name}: says why`)
    t.notMatch(body.message, 'not a certificate', `${testCase.name}: the file content is not echoed`)
  }
  const stored = await fetch(`${base}/v1/knocs/office`, { headers: bearer })
  t.equal(stored.status, 404, 'nothing was stored')
})

t.test('config knoc with a missing CA file rejected', async (t) => {
  const folder = temporaryDirectory(t)
  let problems: readonly string[] = []
  try {
    parseConfig({ knocs: [{ name: 'office', ...activeKnoc('missing-ca.pem') }] }, { source: 'test', baseDir: folder, env: {} })
  } catch (error) {
    if (error instanceof ConfigError) problems = error.problems
  }
  t.equal(problems.length, 1, 'one problem')
  t.match(problems[0], 'knocs[0].routers[0].ca: CA file', 'named by key path')
  t.match(problems[0], path.join(folder, 'missing-ca.pem'), 'resolved against the config folder')
})

t.test('CA file removed after saving does not stop the server', async (t) => {
  const dataDir = temporaryDirectory(t)
  const folder = temporaryDirectory(t)
  const ca = path.join(folder, 'router-ca.pem')
  copyFileSync(routerCertificate, ca)

  const first = await buildTestApp(t, {}, { dataDir })
  const base = await listen(first)
  const saved = await fetch(`${base}/v1/knocs/office`, { method: 'PUT', headers: bearer, body: JSON.stringify(activeKnoc(ca)) })
  t.equal(saved.status, 201, 'saved while the file exists')
  await first.app.close()
  await first.runtime.close()
  rmSync(ca)

  const second = await buildTestApp(t, {}, { dataDir })
  const secondBase = await listen(second)
  const knoc = await fetch(`${secondBase}/v1/knocs/office`, { headers: bearer })
  t.equal(knoc.status, 200, 'the server starts and serves the knoc')
  const validate = await fetch(`${secondBase}/v1/knocs/office/validate`, { method: 'POST', headers: { authorization: bearer.authorization } })
  t.equal(validate.status, 200, 'validate answers')
  const routers = ((await validate.json()) as { routers: Array<{ ok: boolean; message?: string }> }).routers
  t.equal(routers[0]?.ok, false, 'and reports the router as failing')
  t.match(routers[0]?.message, 'does not exist', 'because the CA file is gone')
})
