// Grants of one knoc: the active grants with the time each has left,
// counting down, a revoke button per grant, and a form to grant an address.
import { formatTimeLeft, formatTimestamp, h } from '../dom.js'
import { textField } from '../fields.js'
import * as rules from '../rules.js'
import type { Grant, KnocView } from '../types.js'
import { messageArea, table, type View } from '../view.js'

export async function grantsTab(view: View, knoc: KnocView, panel: HTMLElement): Promise<void> {
  const knocPath = `/v1/knocs/${encodeURIComponent(knoc.name)}`
  const maxSeconds = rules.durationSeconds(knoc.ttl.max)
  const message = messageArea()
  const listArea = h('div', { class: 'table-wrap' })
  // Each countdown cell with the instant it reaches zero.
  let countdowns: Array<{ cell: HTMLElement; expiresAt: number }> = []

  const address = textField({ label: 'Address', required: true, placeholder: '192.0.2.10', hint: 'An IPv4 or IPv6 host, or a network within the knoc’s prefix limits.', rule: rules.address })
  const ttl = textField({
    label: 'Time',
    placeholder: knoc.ttl.default,
    hint: `Empty uses the default of ${knoc.ttl.default}; at most ${knoc.ttl.max}.`,
    rule: (value) => {
      const reason = rules.duration(false)(value)
      if (reason !== undefined || value.trim() === '') return reason
      const seconds = rules.durationSeconds(value)
      return maxSeconds !== undefined && seconds !== undefined && seconds > maxSeconds ? `The maximum for this knoc is ${knoc.ttl.max}.` : undefined
    },
  })
  const user = textField({ label: 'User', placeholder: 'alice', hint: 'Who the grant is for; shown in the router entry comment.', rule: rules.printable('user', 128, false) })
  const comment = textField({ label: 'Comment', hint: 'Why access was granted.', rule: rules.printable('comment', 256, false) })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Grant access')
  const form = h('form', { novalidate: true, class: 'grant-form', 'aria-labelledby': 'grant-heading' }, h('div', { class: 'field-grid' }, address.row, ttl.row, user.row, comment.row), h('div', { class: 'actions' }, submit))

  const load = async () => {
    try {
      const { grants } = await view.api.json<{ grants: Grant[] }>('GET', `${knocPath}/grants`)
      renderGrants(grants)
    } catch (error) {
      message.showError('Loading the grants failed', error)
    }
  }

  const revoke = async (grant: Grant, button: HTMLButtonElement) => {
    const forUser = grant.user === null ? '' : ` for ${grant.user}`
    if (!window.confirm(`Revoke the grant of ${grant.address}${forUser}? The address leaves the list unless another grant covers it.`)) return
    button.disabled = true
    try {
      await view.api.json('DELETE', `/v1/grants/${encodeURIComponent(grant.id)}`)
      message.show(`Revoked the grant of ${grant.address}${forUser}.`, 'success')
    } catch (error) {
      message.showError(`Revoking the grant of ${grant.address} failed`, error)
    }
    await load()
    // The row and its button are gone, so keyboard focus moves to the outcome
    // instead of falling back to the top of the page.
    message.element.setAttribute('tabindex', '-1')
    message.element.focus()
  }

  function renderGrants(grants: Grant[]): void {
    countdowns = []
    if (grants.length === 0) {
      listArea.replaceChildren(h('p', { class: 'empty' }, 'No active grants.'))
      return
    }
    const rows = grants.map((grant) => {
      const left = h('span', { class: 'time-left' })
      countdowns.push({ cell: left, expiresAt: Date.parse(grant.expiresAt) })
      // The grant time distinguishes two grants of one address for screen readers.
      const label = `Revoke the grant of ${grant.address}${grant.user === null ? '' : ` for ${grant.user}`}, granted ${formatTimestamp(grant.createdAt)}`
      const button = h('button', { type: 'button', class: 'danger', 'aria-label': label }, 'Revoke')
      button.addEventListener('click', () => void revoke(grant, button))
      return [h('code', {}, grant.address), grant.user ?? '', grant.comment ?? '', formatTimestamp(grant.createdAt), left, button]
    })
    listArea.replaceChildren(table(`Active grants of ${knoc.name}`, ['Address', 'User', 'Comment', 'Granted', 'Time left', 'Actions'], rows))
    tick()
  }

  // The countdown is not a live region: announcing it every second would
  // drown out everything else for screen reader users.
  function tick(): void {
    const now = Date.now()
    let expired = false
    for (const { cell, expiresAt } of countdowns) {
      const seconds = Math.ceil((expiresAt - now) / 1000)
      cell.textContent = seconds > 0 ? formatTimeLeft(seconds) : 'expired'
      if (seconds <= 0) expired = true
    }
    if (expired) void load()
  }
  const timer = window.setInterval(tick, 1000)
  view.onLeave(() => window.clearInterval(timer))

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const fields = [address, ttl, user, comment]
    const invalid = fields.find((field) => !field.check(true))
    if (invalid !== undefined) {
      invalid.input.focus()
      return
    }
    const body: Record<string, string> = { address: address.value.trim() }
    if (ttl.value.trim() !== '') body.ttl = ttl.value.trim()
    if (user.value !== '') body.user = user.value
    if (comment.value !== '') body.comment = comment.value
    submit.disabled = true
    try {
      const grant = await view.api.json<Grant>('POST', `${knocPath}/grants`, body)
      message.show(`Granted ${grant.address} until ${formatTimestamp(grant.expiresAt)}.`, 'success')
      address.reset()
      address.input.focus()
      await load()
    } catch (error) {
      message.showError(`Granting ${body.address} failed`, error)
    } finally {
      submit.disabled = false
    }
  })

  panel.replaceChildren(h('h2', { id: 'grant-heading' }, 'Grant access'), form, message.element, h('h2', {}, 'Active grants'), listArea)
  await load()
}
