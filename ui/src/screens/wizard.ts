// New knoc wizard, also used to edit a stored knoc: integration type and
// mode, the router connection, the address list and grant times. It saves
// with PUT /v1/knocs/{knoc} and can validate the connection right away.
import { ApiError } from '../api.js'
import { h } from '../dom.js'
import { radioGroup, selectField, textField } from '../fields.js'
import * as rules from '../rules.js'
import { pollsFeed, type KnocMode, type KnocView, type RouterValidation, type RouterView } from '../types.js'
import { validationReport } from '../validation-report.js'
import { messageArea, screenHeading, type View } from '../view.js'

type Trust = 'system' | 'fingerprint' | 'ca' | 'insecure'

// Settings of a loaded knoc that the wizard has no field for; a PUT replaces
// the whole definition, so they are sent back unchanged.
interface Preserved {
  prefix?: { ipv4: number; ipv6: number }
  feedUsername?: string
  allowFrom?: string[]
  pollInterval?: string
}

export async function wizardScreen(view: View, editName?: string): Promise<void> {
  const message = messageArea()
  let loaded: KnocView | undefined

  if (editName !== undefined) {
    view.main.replaceChildren(screenHeading(`Edit knoc ${editName}`), message.element)
    try {
      loaded = await view.api.json<KnocView>('GET', `/v1/knocs/${encodeURIComponent(editName)}`)
    } catch (error) {
      message.showError(`Loading knoc ${editName} failed`, error)
      return
    }
    const readOnlyReason = editBlocker(loaded)
    if (readOnlyReason !== undefined) {
      message.show(readOnlyReason, 'info')
      view.main.append(h('p', {}, h('a', { href: `#/knocs/${encodeURIComponent(loaded.name)}` }, `Back to knoc ${loaded.name}`)))
      return
    }
  }
  renderWizard(view, loaded)
}

// Returns why this form cannot edit the knoc, or undefined when it can.
function editBlocker(knoc: KnocView): string | undefined {
  if (knoc.source === 'config') return `Knoc ${knoc.name} is declared in the config file, so it is read-only here. Change it in the config file and restart knocklist.`
  return undefined
}

function initialTrust(knoc: KnocView | undefined): Trust {
  const router = knoc?.routers[0]
  if (router?.fingerprint !== undefined) return 'fingerprint'
  if (router?.ca !== undefined) return 'ca'
  if (router?.insecure === true) return 'insecure'
  return 'system'
}

function renderWizard(view: View, loaded: KnocView | undefined): void {
  const message = messageArea()
  const router = loaded?.routers[0]
  // The form edits the first router. Any others, added through the API, are
  // sent back unchanged and without their passwords, which the server keeps.
  const otherRouters = (loaded?.routers.slice(1) ?? []).map(routerDefinition)
  // The edited router as the server has it, to tell whether its stored
  // password still applies.
  let storedRouter = router === undefined ? undefined : routerDefinition(router)
  const preserved: Preserved = loaded === undefined ? {} : { prefix: loaded.prefix, feedUsername: loaded.feed.username, allowFrom: loaded.feed.allowFrom, pollInterval: loaded.feed.pollInterval }
  // The server never returns passwords, so a knoc with its own feed password needs it again.
  const feedPasswordRequired = loaded?.feed.passwordSource === 'knoc'
  let savedName = loaded?.name
  const heading = screenHeading(loaded === undefined ? 'New knoc' : `Edit knoc ${loaded.name}`)

  // Step 1: the integration.
  const name = textField({
    label: 'Knoc name',
    required: true,
    value: loaded?.name ?? '',
    readonly: loaded !== undefined,
    placeholder: 'office-ssh',
    hint: 'Lower-case letters, digits and dashes; it names the feed URL and the default address list.',
    rule: rules.knocName,
    onInput: () => {
      addressList.input.placeholder = name.value === '' ? 'knocklist-<name>' : `knocklist-${name.value}`
    },
  })
  const mode = radioGroup<KnocMode>(
    'Mode',
    [
      { value: 'active', label: 'Active', hint: 'knocklist pushes every grant and revoke to the router at once over the RouterOS REST API.' },
      { value: 'passive', label: 'Passive', hint: 'The router polls a feed from knocklist with a scheduler script; knocklist never connects to it.' },
      { value: 'passive-plus', label: 'Passive+', hint: 'The router polls the feed, and knocklist asks it over REST to poll at once after each change.' },
    ],
    loaded?.mode ?? 'active',
    () => updateVisibility(),
  )

  // Step 2: the firewall and how knocklist reaches it.
  const connect = h('input', { type: 'checkbox', id: 'wizard-connect', checked: router !== undefined, 'aria-describedby': 'wizard-connect-hint', onchange: () => updateVisibility() })
  const connectRow = h(
    'div',
    { class: 'field checkbox' },
    connect,
    h('div', {}, h('label', { for: 'wizard-connect' }, 'Let knocklist connect to this router'), h('span', { id: 'wizard-connect-hint', class: 'hint' }, 'Optional in passive mode: it is used only by Validate connection.')),
  )
  const routerName = textField({ label: 'Router name', required: true, value: router?.name ?? 'router1', hint: 'How knocklist names this router in status and logs.', rule: rules.routerName })
  const url = textField({
    label: 'RouterOS URL',
    type: 'url',
    required: true,
    value: router?.url ?? '',
    placeholder: 'https://192.0.2.1',
    hint: 'The router’s web service (www-ssl); add the port when it is not 443, as in https://192.0.2.1:8443.',
    rule: rules.routerUrl,
    onInput: () => updateVisibility(),
  })
  const trust = radioGroup<Trust>(
    'Certificate check',
    [
      { value: 'system', label: 'Trusted certificate', hint: 'Signed by a CA that the knocklist server trusts.' },
      { value: 'fingerprint', label: 'Pin the certificate fingerprint', hint: 'For a self-signed certificate: only this exact certificate is accepted.' },
      { value: 'ca', label: 'CA certificate file', hint: 'A PEM file on the knocklist server with the CA that signed the router certificate.' },
      { value: 'insecure', label: 'Insecure: skip certificate checks', hint: 'Only for a self-signed certificate you cannot pin yet; anyone on the network path could pose as the router.' },
    ],
    initialTrust(loaded),
    () => updateVisibility(),
  )
  const fingerprint = textField({
    label: 'Certificate fingerprint (SHA-256)',
    required: true,
    monospace: true,
    value: router?.fingerprint === undefined ? '' : rules.formatFingerprint(router.fingerprint),
    hint: '64 hex digits, colons optional. Validate connection shows the fingerprint the router presents.',
    rule: rules.fingerprint,
  })
  const caPath = textField({ label: 'CA file path', required: true, value: router?.ca ?? '', placeholder: '/etc/knocklist/router-ca.pem', hint: 'Absolute path of the PEM file on the knocklist server.', rule: (value) => rules.printable('path of the CA file', 4096)(value) ?? (value.startsWith('/') ? undefined : 'Enter an absolute path, starting with /.') })
  const username = textField({ label: 'Username', required: true, value: router?.username ?? '', placeholder: 'knocklist-agent', autocomplete: 'off', hint: 'A RouterOS user whose group has the api, rest-api, read and write policies.', rule: rules.printable('username', 128) })
  // The server keeps a router's stored password when it is left out, but only
  // while the router's connection settings are the ones stored.
  const keepsStoredPassword = (): boolean => {
    if (storedRouter === undefined) return false
    const current = routerEntry()
    return connectionFields.every((field) => current[field] === storedRouter?.[field])
  }
  const password = textField({
    label: 'Password',
    type: 'password',
    required: router === undefined,
    autocomplete: 'new-password',
    hint: router === undefined ? 'The password of that RouterOS user.' : 'Leave empty to keep the stored password. A new router name, URL, username or certificate setting needs the password again.',
    rule: (value) => {
      if (value !== '' || storedRouter === undefined) return rules.password(value)
      return keepsStoredPassword() ? undefined : 'Enter the password: the router name, URL, username or certificate setting changed, so the stored one is not used.'
    },
  })

  // Step 3: the address list and grant times.
  const addressList = textField({
    label: 'Address-list name',
    value: loaded?.addressList ?? '',
    placeholder: loaded === undefined ? 'knocklist-<name>' : `knocklist-${loaded.name}`,
    hint: 'The RouterOS address list that holds granted addresses; empty means knocklist-<name>.',
    rule: rules.printable('address-list name', 63, false),
  })
  const pollInterval = textField({ label: 'Poll interval', required: true, value: loaded?.feed.pollInterval ?? '1m', hint: 'How often the router fetches the feed, such as 30s or 1m.', rule: rules.duration(true) })
  const feedPassword = textField({
    label: 'Feed password',
    type: 'password',
    required: feedPasswordRequired,
    autocomplete: 'new-password',
    hint: feedPasswordRequired ? 'This knoc has its own feed password; enter it again, because knocklist never returns it.' : 'Optional; empty uses the feed password knocklist generated on first start.',
    rule: (value) => (feedPasswordRequired && value === '' ? 'Enter the feed password of this knoc.' : rules.feedPassword(value)),
  })
  const ttlRule = (bound: 'default' | 'max') => (value: string) => {
    const reason = rules.duration(true)(value)
    if (reason !== undefined) return reason
    const defaultSeconds = rules.durationSeconds(ttlDefault.value)
    const maxSeconds = rules.durationSeconds(ttlMax.value)
    if (defaultSeconds !== undefined && maxSeconds !== undefined && defaultSeconds > maxSeconds) {
      return bound === 'default' ? 'The default grant time must not be longer than the maximum.' : 'The maximum grant time must not be shorter than the default.'
    }
    return undefined
  }
  const ttlDefault = textField({ label: 'Default grant time', required: true, value: loaded?.ttl.default ?? '1h', hint: 'Used when a grant names no time, such as 8h.', rule: ttlRule('default'), onInput: () => ttlMax.check() })
  const ttlMax = textField({ label: 'Maximum grant time', required: true, value: loaded?.ttl.max ?? '1d', hint: 'The longest time one grant may ask for, such as 1d.', rule: ttlRule('max'), onInput: () => ttlDefault.check() })

  const passiveFields = h('div', {}, pollInterval.row)
  const otherRoutersNote =
    otherRouters.length === 0
      ? null
      : h(
          'p',
          { class: 'hint' },
          `This form edits the first router. Other routers of this knoc are kept unchanged: ${otherRouters.map((entry) => String(entry.name)).join(', ')}. Change them through the admin API, PUT /v1/knocs/{knoc}.`,
        )
  const routerFields = h('div', { class: 'router-fields' }, otherRoutersNote, routerName.row, url.row, trust.element, fingerprint.row, caPath.row, username.row, password.row)

  const save = h('button', { type: 'submit', class: 'primary', value: 'validate' }, 'Save and validate connection')
  const saveOnly = h('button', { type: 'submit', value: 'save' }, 'Save knoc')
  const resultsMessage = messageArea()
  const results = h('div', {})
  const nextSteps = h('nav', { class: 'next-steps', 'aria-label': 'Next steps', hidden: true })

  const form = h(
    'form',
    { novalidate: true, class: 'wizard' },
    h('fieldset', {}, h('legend', {}, '1. Integration'), name.row, selectField('Type', [{ value: 'application', label: 'Application' }], 'An application protected by the firewall, such as SSH or a web admin page.'), mode.element),
    h('fieldset', {}, h('legend', {}, '2. Firewall'), selectField('Vendor', [{ value: 'mikrotik', label: 'MikroTik RouterOS 7' }]), connectRow, routerFields),
    h('fieldset', {}, h('legend', {}, '3. Address list and grant times'), addressList.row, passiveFields, feedPassword.row, ttlDefault.row, ttlMax.row),
    h('div', { class: 'actions' }, save, saveOnly),
    message.element,
  )

  const textFields = [name, routerName, url, fingerprint, caPath, username, password, addressList, pollInterval, feedPassword, ttlDefault, ttlMax]

  function includesRouter(): boolean {
    return mode.value !== 'passive' || connect.checked
  }

  function updateVisibility(): void {
    const passive = mode.value === 'passive'
    connectRow.hidden = !passive
    routerFields.hidden = !includesRouter()
    const plainHttp = /^http:\/\//i.test(url.value.trim())
    trust.element.hidden = plainHttp
    fingerprint.setHidden(plainHttp || trust.value !== 'fingerprint')
    caPath.setHidden(plainHttp || trust.value !== 'ca')
    url.setNote(rules.routerUrlWarning(url.value))
    passiveFields.hidden = !pollsFeed(mode.value)
    // Feeds are served in every mode, so an active knoc's own feed password is
    // asked for too. Leaving it out would switch the feed to the generated one.
    feedPassword.setHidden(!pollsFeed(mode.value) && !feedPasswordRequired)
  }

  // Hidden fields do not apply to the current choices, so saving skips them.
  function isShown(field: { row: HTMLElement }): boolean {
    return field.row.closest('[hidden]') === null
  }

  function definition(): Record<string, unknown> {
    const knocMode = mode.value
    const feed: Record<string, unknown> = {}
    if (preserved.feedUsername !== undefined) feed.username = preserved.feedUsername
    if (preserved.allowFrom !== undefined) feed.allowFrom = preserved.allowFrom
    if (pollsFeed(knocMode)) feed.pollInterval = pollInterval.value.trim()
    else if (preserved.pollInterval !== undefined) feed.pollInterval = preserved.pollInterval
    if (isShown(feedPassword) && feedPassword.value !== '') feed.password = feedPassword.value

    const body: Record<string, unknown> = { mode: knocMode, ttl: { default: ttlDefault.value.trim(), max: ttlMax.value.trim() }, feed, routers: [] }
    if (addressList.value !== '') body.addressList = addressList.value
    if (preserved.prefix !== undefined) body.prefix = preserved.prefix
    // Unchecking "Let knocklist connect" drops the router this form edits, not the others.
    body.routers = otherRouters
    if (includesRouter()) {
      const entry = routerEntry()
      if (password.value !== '' || !keepsStoredPassword()) entry.password = password.value
      body.routers = [entry, ...otherRouters]
    }
    return body
  }

  // Builds the edited router's definition from the form, without the password.
  function routerEntry(): Record<string, unknown> {
    const plainHttp = /^http:\/\//i.test(url.value.trim())
    const trustChoice: Trust = plainHttp ? 'system' : trust.value
    const entry: Record<string, unknown> = {
      name: routerName.value,
      url: url.value.trim(),
      username: username.value,
      insecure: trustChoice === 'insecure',
    }
    if (trustChoice === 'fingerprint') entry.fingerprint = rules.normalizeFingerprint(fingerprint.value)
    if (trustChoice === 'ca') entry.ca = caPath.value
    return entry
  }

  async function saveKnoc(): Promise<boolean> {
    let firstInvalid: HTMLInputElement | undefined
    for (const field of textFields) {
      if (!isShown(field)) continue
      if (!field.check(true) && firstInvalid === undefined) firstInvalid = field.input
    }
    if (firstInvalid !== undefined) {
      message.show('Some fields need attention; the reason is shown next to each.', 'error')
      firstInvalid.focus()
      return false
    }

    const knocName = name.value
    const path = `/v1/knocs/${encodeURIComponent(knocName)}`
    try {
      // PUT replaces an existing knoc, so a new one must not take a used name.
      if (savedName === undefined && (await knocExists(view, path))) {
        message.show(`A knoc named ${knocName} exists already. Pick another name, or open that knoc to edit it.`, 'error')
        name.input.focus()
        return false
      }
      await view.api.json<KnocView>('PUT', path, definition())
    } catch (error) {
      message.showError(`Saving knoc ${knocName} failed`, error)
      return false
    }

    const created = savedName === undefined
    savedName = knocName
    // The server now has this router's password, so a later save may leave it out.
    storedRouter = includesRouter() ? routerEntry() : undefined
    name.input.readOnly = true
    // From here on the form edits the saved knoc, so the heading changes to match.
    heading.querySelector('h1')!.textContent = `Edit knoc ${knocName}`
    document.title = `Edit ${knocName} - knocklist admin`
    // The address bar follows the saved knoc without leaving this form,
    // which still contains the passwords needed for the next save.
    history.replaceState(null, '', `#/knocs/${encodeURIComponent(knocName)}/edit`)
    message.show(created ? `Created knoc ${knocName}.` : `Saved knoc ${knocName}.`, 'success')
    showNextSteps(knocName)
    return true
  }

  function showNextSteps(knocName: string): void {
    const base = `#/knocs/${encodeURIComponent(knocName)}`
    nextSteps.hidden = false
    nextSteps.replaceChildren(
      h('h2', {}, 'Next steps'),
      h(
        'ul',
        { class: 'plain inline' },
        h('li', {}, h('a', { href: `${base}/setup` }, pollsFeed(mode.value) ? 'RouterOS setup script and firewall rule' : 'RouterOS firewall rule')),
        h('li', {}, h('a', { href: `${base}/grants` }, 'Grants')),
        h('li', {}, h('a', { href: '#/knocs' }, 'All knocs')),
      ),
    )
  }

  function pinFingerprint(routerNameShown: string, presented: string): void {
    trust.value = 'fingerprint'
    fingerprint.value = rules.formatFingerprint(presented)
    fingerprint.check(true)
    updateVisibility()
    resultsMessage.show(`Filled in the fingerprint of router ${routerNameShown}. Press Save and validate connection to use it.`, 'info')
    fingerprint.input.focus()
  }

  async function validate(knocName: string): Promise<void> {
    resultsMessage.show('Validating the connection…')
    results.replaceChildren()
    try {
      const reply = await view.api.json<{ routers: RouterValidation[] }>('POST', `/v1/knocs/${encodeURIComponent(knocName)}/validate`, {})
      const pinned = includesRouter() && isShown(fingerprint) ? fingerprint.value : undefined
      results.replaceChildren(validationReport(reply.routers, { onPin: pinFingerprint, pinnableRouter: routerName.value, ...(pinned === undefined ? {} : { pinned }) }))
      const presented = reply.routers[0]?.fingerprint
      fingerprint.setNote(presented === undefined ? undefined : `The router currently presents ${rules.formatFingerprint(presented)}.`)
      const failed = reply.routers.filter((entry) => !entry.ok)
      if (reply.routers.length === 0) resultsMessage.show('Saved; there is no router to validate.', 'info')
      else if (failed.length === 0) resultsMessage.show('Connection validated: every check passed.', 'success')
      else resultsMessage.show(`Validation failed for ${failed.map((entry) => `${entry.name} (${entry.code ?? 'no code'})`).join(', ')}. The failed check and its fix are listed below.`, 'error')
    } catch (error) {
      resultsMessage.showError('Validating the connection failed', error)
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const submitter = (event as SubmitEvent).submitter
    const alsoValidate = submitter === save
    save.disabled = true
    saveOnly.disabled = true
    // The last report describes the previous settings, so it is removed
    // before it can be read as the result of this save.
    if (alsoValidate) {
      results.replaceChildren()
      resultsMessage.clear()
    }
    try {
      if ((await saveKnoc()) && alsoValidate && savedName !== undefined) await validate(savedName)
    } finally {
      save.disabled = false
      saveOnly.disabled = false
    }
  })

  view.main.replaceChildren(
    heading,
    h('p', { class: 'lede' }, 'Set up how granted addresses reach a MikroTik router. Fields marked * are required; each is checked as you type.'),
    form,
    h('section', { class: 'results', 'aria-labelledby': 'validation-heading' }, h('h2', { id: 'validation-heading' }, 'Connection check'), resultsMessage.element, results),
    nextSteps,
  )
  updateVisibility()
  if (loaded === undefined) name.input.focus()
}

// Builds a router definition from the API's view of it, without its status.
// The password is left out, so the server keeps the stored one.
function routerDefinition(router: RouterView): Record<string, unknown> {
  const definition: Record<string, unknown> = { name: router.name, url: router.url, username: router.username, insecure: router.insecure }
  if (router.ca !== undefined) definition.ca = router.ca
  if (router.fingerprint !== undefined) definition.fingerprint = router.fingerprint
  return definition
}

// The router settings that must match the stored ones for the server to keep
// the stored password.
const connectionFields = ['name', 'url', 'username', 'insecure', 'ca', 'fingerprint'] as const

async function knocExists(view: View, path: string): Promise<boolean> {
  try {
    await view.api.json('GET', path)
    return true
  } catch (error) {
    if (error instanceof ApiError && error.code === 'KNL_KNOC_NOT_FOUND') return false
    throw error
  }
}
