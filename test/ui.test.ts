// End-to-end tests of the admin web interface in a real browser (Debian's
// chromium through playwright-core), against the app on a loopback port and
// the RouterOS REST emulator. Needs `npm run build` first, which writes
// dist/ui. Screenshots of each screen go to a temporary folder, or to docs/ui/
// with UPDATE_SCREENSHOTS=1, so a test run leaves the checkout unchanged.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import t from 'tap'
import { uiContentSecurityPolicy } from '../src/http/routes/ui.js'
import { adminToken, buildTestApp, listen, waitFor } from './helpers/app.js'
import { SERVICE_USER, startRouterEmulator } from './fixtures/routeros/emulator.js'

const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1'
const screenshotDirectory = updateScreenshots ? fileURLToPath(new URL('../docs/ui/', import.meta.url)) : `${mkdtempSync(`${tmpdir()}/knocklist-ui-`)}/`
mkdirSync(screenshotDirectory, { recursive: true })
if (!updateScreenshots) t.teardown(() => rmSync(screenshotDirectory, { recursive: true, force: true }))

const bearer = { authorization: `Bearer ${adminToken}` }

const emulator = await startRouterEmulator()
t.teardown(() => emulator.close())
const testApp = await buildTestApp(t, { knocs: [] })
const base = await listen(testApp)

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
})
t.teardown(() => browser.close())
// A new context starts from an empty profile: no storage, no cookies.
const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 860 }, permissions: ['clipboard-read', 'clipboard-write'] })
// Only the servers this test started may be reached.
await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()))
const page: Page = await context.newPage()
page.setDefaultTimeout(5000)

const pageErrors: string[] = []
const consoleErrors: string[] = []
page.on('pageerror', (error) => pageErrors.push(error.message))
page.on('console', (message) => {
  if (message.type() === 'error') consoleErrors.push(message.text())
})

function screenshot(name: string) {
  return page.screenshot({ path: `${screenshotDirectory}${name}.png`, fullPage: true })
}

function entriesOnRouter(list: string) {
  return emulator.tables.ipv4.all().filter((entry) => entry.list === list)
}

async function knocFromApi(name: string) {
  const reply = await fetch(`${base}/v1/knocs/${name}`, { headers: bearer })
  return (await reply.json()) as { mode: string; addressList: string; ttl: { default: string; max: string }; routers: Array<{ name: string; url: string; fingerprint?: string; insecure: boolean }> }
}

// Reads the whole body, so no response is left half-read on a kept-alive connection.
async function statusOf(url: string, init: RequestInit = {}): Promise<number> {
  const reply = await fetch(url, init)
  await reply.arrayBuffer()
  return reply.status
}

function colonFingerprint(hex: string): string {
  return hex.match(/../g)!.join(':').toUpperCase()
}

t.test('ui served with strict security headers', async (t) => {
  const reply = await fetch(`${base}/ui/`)
  t.equal(reply.status, 200, 'index served')
  t.equal(reply.headers.get('content-security-policy'), uiContentSecurityPolicy, 'strict CSP')
  t.equal(reply.headers.get('x-content-type-options'), 'nosniff', 'nosniff')
  t.equal(reply.headers.get('referrer-policy'), 'no-referrer', 'no referrer')
  t.notMatch(await reply.text(), /<script>|style=/, 'no inline script or style')

  const script = await fetch(`${base}/ui/app.js`)
  await script.arrayBuffer()
  t.match(script.headers.get('content-type'), /javascript/, 'app.js is JavaScript')
  t.equal(script.headers.get('content-security-policy'), uiContentSecurityPolicy, 'CSP on every file')

  const redirect = await fetch(`${base}/ui`, { redirect: 'manual' })
  await redirect.arrayBuffer()
  t.equal(redirect.headers.get('location'), '/ui/', '/ui redirects to /ui/')

  const errorPage = await fetch(`${base}/ui/errors/208001`)
  t.equal(errorPage.status, 200, 'troubleshooting page served')
  t.match(await errorPage.text(), '<h1>208001: Authentication failed</h1>', 'rendered from docs/errors/208001.md')
  t.equal(await statusOf(`${base}/ui/errors/208999`), 404, 'unknown code is 404')
  t.equal(await statusOf(`${base}/ui/errors/..%2F..%2Fpackage.json`), 404, 'no path escapes docs/errors')
})

t.test('wrong token shown readably', async (t) => {
  await page.goto(`${base}/ui/`)
  await page.getByLabel('Admin token').fill('not-the-admin-token-0000')
  await page.getByRole('button', { name: 'Sign in' }).click()
  const message = page.locator('.message-error')
  await message.waitFor()
  const text = await message.innerText()
  t.match(text, 'Sign-in failed: this admin token is not valid', 'a readable message')
  t.match(text, 'adminTokens', 'that says where tokens come from')
  t.match(text, 'KNL_AUTH_INVALID', 'error code shown')
  t.notMatch(text, '{', 'no raw JSON')
  t.equal(await page.evaluate('sessionStorage.length'), 0, 'a rejected token is not stored')
  await screenshot('sign-in')
})

t.test('sign in with the admin token', async (t) => {
  await page.getByLabel('Admin token').fill(adminToken)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Knocs', level: 1 }).waitFor()
  await page.getByText('No knocs yet').waitFor()
  t.pass('empty list shown')
  t.equal(await page.evaluate("sessionStorage.getItem('knocklist.adminToken')"), adminToken, 'token kept in sessionStorage')
  t.equal(await page.evaluate('localStorage.length'), 0, 'nothing in localStorage')
})

t.test('wizard checks fields while typing', async (t) => {
  await page.getByRole('link', { name: 'New knoc' }).first().click()
  await page.getByRole('heading', { name: 'New knoc' }).waitFor()

  const name = page.getByLabel('Knoc name')
  await name.fill('Office SSH')
  t.match(await page.locator('.field', { has: name }).locator('.field-error').innerText(), 'lower-case letters', 'bad knoc name explained')
  t.equal(await name.getAttribute('aria-invalid'), 'true', 'marked invalid for assistive technology')
  await name.fill('office')
  t.equal(await page.locator('.field', { has: name }).locator('.field-error').innerText(), '', 'error gone once fixed')

  const url = page.getByLabel('RouterOS URL')
  await url.fill('ftp://192.0.2.1')
  t.match(await page.locator('.field', { has: url }).locator('.field-error').innerText(), 'https:// or http://', 'URL scheme explained')

  const defaultTime = page.getByLabel('Default grant time')
  await defaultTime.fill('2d')
  t.match(await page.locator('.field', { has: defaultTime }).locator('.field-error').innerText(), 'must not be longer than the maximum', 'default above max explained')
  await defaultTime.fill('1x')
  t.match(await page.locator('.field', { has: defaultTime }).locator('.field-error').innerText(), '1h30m', 'duration format explained')
  await defaultTime.fill('8h')

  await page.getByRole('radio', { name: 'Pin the certificate fingerprint' }).check()
  const fingerprint = page.getByLabel('Certificate fingerprint (SHA-256)')
  await fingerprint.fill('abc')
  t.match(await page.locator('.field', { has: fingerprint }).locator('.field-error').innerText(), '64 hex digits', 'fingerprint format explained')
})

t.test('wizard creates an active knoc and validates it', async (t) => {
  await page.getByRole('radio', { name: 'Active' }).check()
  await page.getByLabel('RouterOS URL').fill(emulator.url)
  await page.getByLabel('Certificate fingerprint (SHA-256)').fill(colonFingerprint(emulator.fingerprint))
  await page.getByLabel('Username').fill(SERVICE_USER.name)
  await page.getByLabel('Password', { exact: true }).fill(SERVICE_USER.password)
  await page.getByLabel('Address-list name').fill('knocklist-office')
  await page.getByRole('button', { name: 'Save and validate connection' }).click()

  await page.getByText('Connection validated: every check passed.').waitFor()
  t.match(await page.locator('form .message').innerText(), 'Created knoc office.', 'creation confirmed')
  t.equal(await page.locator('.check-failed').count(), 0, 'no failed check')
  t.equal(await page.locator('.check-ok').count(), 5, 'five checks passed')
  t.match(page.url(), /#\/knocs\/office\/edit$/, 'address bar follows the saved knoc')
  t.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Edit knoc office', 'heading follows the saved knoc')

  const saved = await knocFromApi('office')
  t.equal(saved.mode, 'active', 'saved as active')
  t.equal(saved.addressList, 'knocklist-office', 'list name saved')
  t.equal(saved.routers[0]?.fingerprint, emulator.fingerprint, 'fingerprint saved without colons')
  t.match(await page.locator('.fingerprint').innerText(), 'This is the pinned fingerprint.', 'pinned fingerprint recognised')
  await screenshot('wizard')
  await page.locator('.results').screenshot({ path: `${screenshotDirectory}validate.png` })
})

t.test('wrong password fails validation with 208001', async (t) => {
  await page.getByLabel('Password', { exact: true }).fill('wrong-password')
  await page.getByRole('button', { name: 'Save and validate connection' }).click()
  const failed = page.locator('.check-failed')
  await failed.waitFor()
  t.match(await failed.innerText(), '208001', 'code shown')
  t.match(await failed.innerText(), 'Authentication', 'failed check named')
  const link = failed.getByRole('link', { name: 'Troubleshooting page for 208001' })
  t.equal(await link.getAttribute('href'), '/ui/errors/208001', 'links the troubleshooting page')
  t.match(await page.locator('.results .message-error').innerText(), 'Validation failed for router1 (208001)', 'summary names router and code')
  await page.locator('.results').screenshot({ path: `${screenshotDirectory}validate-failed.png` })

  const docs = await context.newPage()
  await docs.goto(`${base}/ui/errors/208001`)
  t.equal(await docs.getByRole('heading', { level: 1 }).innerText(), '208001: Authentication failed', 'troubleshooting page opens')
  await docs.screenshot({ path: `${screenshotDirectory}error-page.png`, fullPage: true })
  await docs.close()
})

t.test('untrusted certificate offers its fingerprint to pin', async (t) => {
  await page.getByLabel('Password', { exact: true }).fill(SERVICE_USER.password)
  await page.getByRole('radio', { name: 'Trusted certificate' }).check()
  await page.getByRole('button', { name: 'Save and validate connection' }).click()
  // The wait names the expected code because a report from the previous test
  // could otherwise match while this save is in flight.
  await page.locator('.check-failed', { hasText: '208003' }).waitFor({ timeout: 10_000 })
  t.match(await page.locator('.check-failed').innerText(), '208003', 'untrusted certificate is 208003')
  t.equal(await page.locator('[data-fingerprint]').getAttribute('data-fingerprint'), emulator.fingerprint, 'presented fingerprint shown')

  await page.getByRole('button', { name: 'Pin this fingerprint' }).click()
  t.equal(await page.getByRole('radio', { name: 'Pin the certificate fingerprint' }).isChecked(), true, 'pinning selected')
  t.equal(await page.getByLabel('Let knocklist connect to this router').isVisible(), false, 'connect option hidden in active mode')
  t.equal(await page.getByLabel('Certificate fingerprint (SHA-256)').inputValue(), colonFingerprint(emulator.fingerprint), 'fingerprint filled in')
  await page.getByRole('button', { name: 'Save and validate connection' }).click()
  await page.getByText('Connection validated: every check passed.').waitFor()
  t.equal((await knocFromApi('office')).routers[0]?.fingerprint, emulator.fingerprint, 'pinned fingerprint saved')
})

t.test('knocs list shows router sync state', async (t) => {
  const lab = {
    mode: 'active',
    routers: [{ name: 'lab-edge', url: emulator.url, username: SERVICE_USER.name, password: 'wrong-password', fingerprint: emulator.fingerprint }],
  }
  const put = await fetch(`${base}/v1/knocs/lab`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(lab) })
  await put.arrayBuffer()
  t.equal(put.status, 201, 'second knoc created through the API')

  await page.getByRole('link', { name: 'Knocs' }).first().click()
  const labLink = page.getByRole('link', { name: 'error 208001, troubleshooting page' })
  await waitFor(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click()
    return (await labLink.count()) === 1 && (await page.getByText('connected', { exact: true }).count()) === 1
  }, 5000, 'the sync state of both routers')
  t.equal(await labLink.getAttribute('href'), '/ui/errors/208001', 'error code links its page')
  const officeRow = page.locator('tr', { has: page.getByRole('link', { name: 'office', exact: true }) })
  t.match(await officeRow.innerText(), 'knocklist-office', 'list name shown')
  t.match(await officeRow.innerText(), 'Active', 'mode shown')
  await screenshot('knocs')

  await page.getByRole('link', { name: 'office', exact: true }).click()
  await page.getByRole('heading', { name: 'Settings' }).waitFor()
  t.match(await page.locator('.panel').innerText(), `pinned ${colonFingerprint(emulator.fingerprint)}`, 'overview shows the pinned certificate')
  await screenshot('knoc')
})

t.test('edit keeps fingerprint and password', async (t) => {
  await page.getByRole('link', { name: 'Edit' }).click()
  await page.getByRole('heading', { name: 'Edit knoc office' }).waitFor()
  t.equal(await page.getByLabel('Knoc name').getAttribute('readonly'), '', 'name is read-only')
  const passwordField = page.getByLabel('Password', { exact: true })
  const passwordError = page.locator('.field', { has: passwordField }).locator('.field-error')
  t.equal(await passwordField.inputValue(), '', 'password not filled in from the server')

  // A new URL would send the stored password to another host, so it needs the password.
  await page.getByLabel('RouterOS URL').fill('https://127.0.0.1:1')
  await page.getByRole('button', { name: 'Save knoc' }).click()
  t.match(await passwordError.innerText(), 'the router name, URL, username or certificate setting changed', 'a new URL needs the password')
  t.equal((await knocFromApi('office')).routers[0]?.url, emulator.url, 'nothing saved')

  await page.getByLabel('RouterOS URL').fill(emulator.url)

  // So would skipping the certificate check.
  await page.getByRole('radio', { name: 'Insecure: skip certificate checks' }).check()
  await page.getByRole('button', { name: 'Save knoc' }).click()
  t.match(await passwordError.innerText(), 'certificate setting changed', 'skipping the certificate check needs the password')
  t.equal((await knocFromApi('office')).routers[0]?.insecure, false, 'still nothing saved')
  await page.getByRole('radio', { name: 'Pin the certificate fingerprint' }).check()

  await page.getByLabel('Default grant time').fill('2h')
  await page.getByRole('button', { name: 'Save knoc' }).click()
  await page.getByText('Saved knoc office.').waitFor()
  t.equal(await passwordError.innerText(), '', 'an empty password is accepted while URL and username stay')
  const saved = await knocFromApi('office')
  t.equal(saved.routers[0]?.fingerprint, emulator.fingerprint, 'fingerprint kept')
  t.equal(saved.ttl.default, '2h', 'new default saved')
  const validated = await fetch(`${base}/v1/knocs/office/validate`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' })
  t.equal(((await validated.json()) as { routers: Array<{ ok: boolean }> }).routers[0]?.ok, true, 'the stored password still logs in')
})

t.test('knoc deleted from its overview', async (t) => {
  await page.goto(`${base}/ui/#/knocs/lab`)
  page.once('dialog', (dialog) => void dialog.accept())
  await page.getByRole('button', { name: 'Delete knoc' }).click()
  await page.getByRole('heading', { name: 'Knocs', level: 1 }).waitFor()
  t.equal(await page.locator('.message-success').innerText(), 'Deleted knoc lab.', 'the knocs list confirms the delete')
  t.equal(await statusOf(`${base}/v1/knocs/lab`, { headers: bearer }), 404, 'knoc gone from the API')
})

t.test('grants screen grants and revokes', async (t) => {
  await page.goto(`${base}/ui/#/knocs/office/grants`)
  await page.getByRole('heading', { name: 'Active grants' }).waitFor()

  await page.getByLabel('Address').fill('300.1.1.1')
  t.match(await page.locator('.field', { has: page.getByLabel('Address') }).locator('.field-error').innerText(), 'no leading zeros', 'bad address explained as typed')

  await page.getByLabel('Address').fill('0.0.0.0/0')
  await page.getByRole('button', { name: 'Grant access' }).click()
  await page.locator('.message-error').waitFor()
  const rejected = await page.locator('.message-error').innerText()
  t.match(rejected, 'KNL_ADDRESS_DEFAULT_ROUTE', 'server rejection shown with its code')
  t.notMatch(rejected, '"statusCode"', 'no raw JSON')

  await page.getByLabel('Address').fill('192.0.2.10')
  await page.getByLabel('Time').fill('1h')
  await page.getByLabel('User').fill('<b>alice</b>')
  await page.getByLabel('Comment').fill('on call')
  await page.getByRole('button', { name: 'Grant access' }).click()
  await page.getByText('Granted 192.0.2.10 until').waitFor()

  const row = page.locator('tbody tr', { hasText: '192.0.2.10' })
  t.equal(await row.locator('td').first().innerText(), '<b>alice</b>', 'user shown as text, not markup')
  t.equal(await page.locator('tbody b').count(), 0, 'no element made from API data')
  await waitFor(() => entriesOnRouter('knocklist-office').length === 1, 3000, 'the router entry')
  t.equal(entriesOnRouter('knocklist-office')[0]?.address, '192.0.2.10', 'router has the granted address')

  t.match(await row.getByRole('button', { name: 'Revoke' }).getAttribute('aria-label'), /^Revoke the grant of 192\.0\.2\.10 for <b>alice<\/b>, granted \S/, 'revoke label names the grant time')

  const before = await row.locator('.time-left').innerText()
  t.match(before, /^(59m \d+s|1h 0m 0s)$/, 'time left starts near an hour')
  // The display updates once a second, so two seconds always show a change.
  await page.waitForTimeout(2100)
  const after = await row.locator('.time-left').innerText()
  t.not(after, before, `time left counts down (${before}, then ${after})`)
  await screenshot('grants')

  page.once('dialog', (dialog) => void dialog.accept())
  await page.getByRole('button', { name: 'Revoke the grant of 192.0.2.10 for <b>alice</b>' }).click()
  await page.getByText('Revoked the grant of 192.0.2.10').waitFor()
  await page.getByText('No active grants.').waitFor()
  await waitFor(async () => (await page.evaluate('document.activeElement?.getAttribute("role")')) === 'status', 3000, 'focus on the outcome')
  t.pass('keyboard focus moves to the outcome of the revoke')
  await waitFor(() => entriesOnRouter('knocklist-office').length === 0, 3000, 'the router entry removed')
  t.pass('revoke removed the entry from the router')
})

t.test('passive setup script shown and copyable', async (t) => {
  await page.getByRole('link', { name: 'New knoc' }).first().click()
  await page.getByLabel('Knoc name').fill('branch')
  await page.getByRole('radio', { name: 'Passive', exact: true }).check()
  t.equal(await page.getByLabel('RouterOS URL').isVisible(), false, 'router fields optional in passive mode')
  await page.getByLabel('Address-list name').fill('branch "vpn" $users')
  await page.getByLabel('Poll interval').fill('30s')
  await page.getByRole('button', { name: 'Save knoc' }).click()
  await page.getByText('Created knoc branch.').waitFor()
  t.equal((await knocFromApi('branch')).mode, 'passive', 'saved as passive')

  await page.getByRole('link', { name: 'RouterOS setup script and firewall rule' }).click()
  const ipv4 = page.locator('#filter-rule-ipv4')
  await ipv4.waitFor()
  t.equal(
    await ipv4.innerText(),
    '/ip firewall filter add chain=input action=accept src-address-list="branch \\"vpn\\" \\$users" comment="knocklist: knoc branch" place-before=[:pick [/ip firewall filter find where chain=input action=drop disabled=no] 0]',
    'IPv4 rule with the list name escaped',
  )
  t.match(await page.locator('#filter-rule-ipv6').innerText(), /^\/ipv6 firewall filter add chain=input action=accept src-address-list="branch \\"vpn\\" \\\$users"/, 'IPv6 rule')
  await page.getByLabel('TCP port (optional)').fill('70000')
  t.equal(await page.locator('#filter-rule-ipv4').count(), 0, 'an invalid port hides the rules instead of widening them')
  await page.getByLabel('TCP port (optional)').fill('22')
  t.match(await page.locator('#filter-rule-ipv4').innerText(), 'protocol=tcp dst-port=22', 'port narrows the rule')

  const script = page.locator('#setup-script')
  await script.waitFor({ timeout: 3000 }).catch(() => undefined)
  if ((await script.count()) === 0) {
    await screenshot('setup')
    t.fail(`setup script not shown; the page says: ${await page.locator('.message-error').innerText()}`)
    return
  }
  t.match(await script.innerText(), '/system scheduler', 'setup script shown')
  await page.getByRole('button', { name: 'Copy setup script' }).click()
  await page.getByText('Copied the setup script to the clipboard.').waitFor()
  t.equal(await page.evaluate('navigator.clipboard.readText()'), await script.innerText(), 'clipboard holds the script')
  await screenshot('setup')

  await page.goto(`${base}/ui/#/knocs/branch/overview`)
  const sections = page.getByRole('navigation', { name: 'Sections of knoc branch' })
  await sections.getByRole('link', { name: 'Overview' }).waitFor()
  t.equal(await sections.getByRole('link', { name: 'Validate connection' }).count(), 0, 'no validate tab without routers')
})

t.test('audit screen lists records', async (t) => {
  await page.goto(`${base}/ui/#/knocs/office/audit`)
  await page.getByRole('heading', { name: 'Recent audit records' }).waitFor()
  const created = page.locator('tbody tr', { hasText: 'grant.created' })
  await created.first().waitFor()
  t.match(await created.first().innerText(), 'tests', 'actor is the admin token name')
  t.match(await created.first().innerText(), '192.0.2.10', 'address shown')
  t.match(await created.first().innerText(), 'expiresAt: ', 'detail shown')
  t.notMatch(await created.first().innerText(), /\d{4}-\d{2}-\d{2}T\d{2}:/, 'detail times shown in local time, not ISO')
  await screenshot('audit')
})

t.test('audit screen without audit route', async (t) => {
  // A server without the audit route replies with the standard 404 error body.
  await page.route('**/v1/audit?*', (route) =>
    route.fulfill({
      status: 404,
      contentType: 'application/json',
      body: JSON.stringify({ statusCode: 404, code: 'KNL_ROUTE_NOT_FOUND', error: 'Not Found', message: 'no route for GET /v1/audit' }),
    }),
  )
  t.teardown(() => page.unroute('**/v1/audit?*'))
  await page.getByRole('button', { name: 'Refresh' }).click()
  await page.getByText('Audit trail not available').waitFor()
  t.equal(await page.locator('tbody tr').count(), 0, 'no stale records left')
  t.notMatch(await page.locator('main').innerText(), '"statusCode"', 'no raw JSON')
})

t.test('edit keeps routers the form does not show', async (t) => {
  const pair = {
    mode: 'active',
    addressList: 'knocklist-pair',
    routers: [
      { name: 'edge-a', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint },
      // No fingerprint: validation fails with 208003 and shows what it presents.
      { name: 'edge-b', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password },
    ],
  }
  const put = await fetch(`${base}/v1/knocs/pair`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(pair) })
  await put.arrayBuffer()
  t.equal(put.status, 201, 'knoc with two routers created through the API')
  t.teardown(async () => {
    await fetch(`${base}/v1/knocs/pair`, { method: 'DELETE', headers: bearer }).then((reply) => reply.arrayBuffer())
  })

  await page.goto(`${base}/ui/#/knocs/pair/edit`)
  await page.getByLabel('Default grant time').waitFor()
  t.match(await page.locator('.router-fields').innerText(), 'Other routers of this knoc are kept unchanged: edge-b.', 'the form names the router it does not show')
  await page.getByLabel('Default grant time').fill('3h')
  await page.getByRole('button', { name: 'Save and validate connection' }).click()
  await page.locator('.router-report', { hasText: 'edge-b' }).locator('.check-failed').waitFor()

  const saved = await knocFromApi('pair')
  t.same(saved.routers.map((router) => router.name), ['edge-a', 'edge-b'], 'both routers kept')
  t.equal(saved.routers[1]?.fingerprint, undefined, 'the second router kept its settings')
  t.equal(saved.ttl.default, '3h', 'the edit saved')
  t.match(await page.locator('.router-report', { hasText: 'edge-a' }).innerText(), 'all checks passed', 'the first router still logs in with its stored password')
  t.match(await page.locator('.router-report', { hasText: 'edge-b' }).innerText(), '208003', 'the second router validated too')
  t.equal(await page.locator('.router-report', { hasText: 'edge-b' }).getByRole('button', { name: 'Pin this fingerprint' }).count(), 0, 'no pin offered for a router the form does not edit')
})

t.test('active knoc keeps its own feed password', async (t) => {
  const definition = {
    mode: 'active',
    feed: { password: 'own-feed-password-1' },
    routers: [{ name: 'edge-a', url: emulator.url, username: SERVICE_USER.name, password: SERVICE_USER.password, fingerprint: emulator.fingerprint }],
  }
  const put = await fetch(`${base}/v1/knocs/fed`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(definition) })
  await put.arrayBuffer()
  t.equal(put.status, 201, 'active knoc with its own feed password created')
  t.teardown(async () => {
    await fetch(`${base}/v1/knocs/fed`, { method: 'DELETE', headers: bearer }).then((reply) => reply.arrayBuffer())
  })
  const feedStatus = () => statusOf(`${base}/v1/feeds/fed.txt`, { headers: { authorization: `Basic ${Buffer.from('feed:own-feed-password-1').toString('base64')}` } })

  await page.goto(`${base}/ui/#/knocs/fed/edit`)
  const feedField = page.getByLabel('Feed password')
  await feedField.waitFor()
  t.equal(await feedField.isVisible(), true, 'the feed password is asked for in active mode')
  await page.getByLabel('Default grant time').fill('4h')
  await page.getByRole('button', { name: 'Save knoc' }).click()
  t.match(await page.locator('.field', { has: feedField }).locator('.field-error').innerText(), 'Enter the feed password of this knoc', 'it must be entered again')
  t.equal(await feedStatus(), 200, 'the feed still takes its password')

  await feedField.fill('own-feed-password-1')
  await page.getByRole('button', { name: 'Save knoc' }).click()
  await page.getByText('Saved knoc fed.').waitFor()
  t.equal((await knocFromApi('fed')).ttl.default, '4h', 'the edit saved')
  t.equal(await feedStatus(), 200, 'the feed still takes its own password after the save')
})

t.test('sign out forgets the token', async (t) => {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor()
  t.equal(await page.evaluate('sessionStorage.length'), 0, 'token removed')
})

t.test('no script errors or CSP violations', async (t) => {
  t.same(pageErrors, [], 'no uncaught errors')
  t.same(consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text)), [], 'no CSP violations')
})
