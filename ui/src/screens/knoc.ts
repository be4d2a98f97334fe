// One knoc: its settings and routers, and tabs for validation, RouterOS
// setup, grants and the audit trail.
import { h } from '../dom.js'
import { formatFingerprint } from '../rules.js'
import { modeLabels, pollsFeed, type KnocView, type RouterValidation } from '../types.js'
import { validationReport } from '../validation-report.js'
import { messageArea, screenHeading, table, type View } from '../view.js'
import { auditTab } from './audit.js'
import { grantsTab } from './grants.js'
import { routerState } from './knocs.js'
import { setupTab } from './setup.js'

const tabs = [
  { id: 'overview', label: 'Overview' },
  { id: 'validate', label: 'Validate connection' },
  { id: 'setup', label: 'RouterOS setup' },
  { id: 'grants', label: 'Grants' },
  { id: 'audit', label: 'Audit' },
] as const

export type KnocTab = (typeof tabs)[number]['id']

export function isKnocTab(text: string): text is KnocTab {
  return tabs.some((tab) => tab.id === text)
}

// A knoc without routers has nothing to validate, so that tab is left out
// unless its address was opened directly.
function shownTabs(knoc: KnocView, current: KnocTab): ReadonlyArray<(typeof tabs)[number]> {
  return tabs.filter((entry) => entry.id !== 'validate' || knoc.routers.length > 0 || current === 'validate')
}

export async function knocScreen(view: View, name: string, tab: KnocTab): Promise<void> {
  const message = messageArea()
  const base = `#/knocs/${encodeURIComponent(name)}`
  view.main.replaceChildren(screenHeading(`Knoc ${name}`), message.element)

  let knoc: KnocView
  try {
    knoc = await view.api.json<KnocView>('GET', `/v1/knocs/${encodeURIComponent(name)}`)
  } catch (error) {
    message.showError(`Loading knoc ${name} failed`, error)
    view.main.append(h('p', {}, h('a', { href: '#/knocs' }, 'Back to the knocs')))
    return
  }

  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': `Sections of knoc ${name}` },
    h('ul', {}, ...shownTabs(knoc, tab).map((entry) => h('li', {}, h('a', { href: `${base}/${entry.id}`, 'aria-current': entry.id === tab ? 'page' : undefined }, entry.label)))),
  )
  const panel = h('section', { class: 'panel', 'aria-label': tabs.find((entry) => entry.id === tab)?.label ?? '' })
  view.main.append(h('p', { class: 'lede' }, `${modeLabels[knoc.mode] ?? knoc.mode} knoc with the address list `, h('code', {}, knoc.addressList), '.'), nav, panel)

  switch (tab) {
    case 'overview':
      return overviewTab(view, knoc, panel, message)
    case 'validate':
      return validateTab(view, knoc, panel)
    case 'setup':
      return setupTab(view, knoc, panel)
    case 'grants':
      return grantsTab(view, knoc, panel)
    case 'audit':
      return auditTab(view, knoc, panel)
  }
}

function trustDescription(router: KnocView['routers'][number]): string {
  if (router.url.startsWith('http:')) return 'none: plain http'
  if (router.fingerprint !== undefined) return `pinned ${formatFingerprint(router.fingerprint)}`
  if (router.ca !== undefined) return `CA file ${router.ca}`
  if (router.insecure) return 'insecure: not checked'
  return 'trusted CAs of the server'
}

function overviewTab(view: View, knoc: KnocView, panel: HTMLElement, message: ReturnType<typeof messageArea>): void {
  const settings: Array<[string, string]> = [
    ['Mode', modeLabels[knoc.mode] ?? knoc.mode],
    ['Defined in', knoc.source === 'config' ? 'the config file (read-only here)' : 'the admin API'],
    ['Address list', knoc.addressList],
    ['Default grant time', knoc.ttl.default],
    ['Maximum grant time', knoc.ttl.max],
    ['Widest networks', `IPv4 /${knoc.prefix.ipv4}, IPv6 /${knoc.prefix.ipv6}`],
    ['Active grants', String(knoc.activeGrants)],
    ['Addresses in the list', String(knoc.addresses)],
  ]
  if (pollsFeed(knoc.mode)) {
    settings.push(['Poll interval', knoc.feed.pollInterval], ['Feed user', knoc.feed.username], ['Feed password', knoc.feed.passwordSource === 'knoc' ? 'set for this knoc' : 'the generated one'])
  }

  const actions = h('div', { class: 'actions' })
  if (knoc.source === 'store') {
    actions.append(
      h('a', { href: `#/knocs/${encodeURIComponent(knoc.name)}/edit`, class: 'button' }, 'Edit'),
      h('button', {
        type: 'button',
        class: 'danger',
        onclick: async () => {
          if (!window.confirm(`Delete knoc ${knoc.name}? Its ${knoc.activeGrants} active grant(s) end and its entries leave the routers.`)) return
          try {
            await view.api.json('DELETE', `/v1/knocs/${encodeURIComponent(knoc.name)}`)
            view.navigate('#/knocs', `Deleted knoc ${knoc.name}.`)
          } catch (error) {
            message.showError(`Deleting knoc ${knoc.name} failed`, error)
          }
        },
      }, 'Delete knoc'),
    )
  }

  panel.replaceChildren(
    h('h2', {}, 'Settings'),
    h('dl', { class: 'settings' }, ...settings.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
    h('h2', {}, 'Routers'),
    knoc.routers.length === 0
      ? h('p', { class: 'empty' }, pollsFeed(knoc.mode) ? 'No routers: routers poll the feed, so knocklist needs none.' : 'No routers.')
      : h(
          'div',
          // Scrolls on its own on a narrow screen instead of widening the page.
          { class: 'table-wrap' },
          table(
            `Routers of ${knoc.name}`,
            ['Name', 'URL', 'Username', 'Certificate check', 'State'],
            knoc.routers.map((router) => [router.name, h('code', {}, router.url), router.username, h('span', { class: 'wrap' }, trustDescription(router)), h('ul', { class: 'plain' }, routerState(router, knoc.mode, false))]),
          ),
        ),
    actions,
  )
}

function validateTab(view: View, knoc: KnocView, panel: HTMLElement): void {
  const message = messageArea()
  const results = h('div', {})
  const button = h('button', { type: 'button', class: 'primary' }, 'Validate connection')
  button.addEventListener('click', async () => {
    button.disabled = true
    message.show('Validating the connection…')
    results.replaceChildren()
    try {
      const reply = await view.api.json<{ routers: RouterValidation[] }>('POST', `/v1/knocs/${encodeURIComponent(knoc.name)}/validate`, {})
      results.replaceChildren(validationReport(reply.routers))
      const failed = reply.routers.filter((router) => !router.ok)
      if (reply.routers.length === 0) message.show('There is no router to validate.', 'info')
      else if (failed.length === 0) message.show('Connection validated: every check passed.', 'success')
      else message.show(`Validation failed for ${failed.map((router) => `${router.name} (${router.code ?? 'no code'})`).join(', ')}.`, 'error')
    } catch (error) {
      message.showError('Validating the connection failed', error)
    } finally {
      button.disabled = false
    }
  })
  panel.replaceChildren(
    h('p', {}, 'Checks each router in order: reachable, TLS certificate, authentication, REST API and read access to the address list. Checks stop at the first failure.'),
    knoc.source === 'store' ? h('p', { class: 'hint' }, 'To pin the certificate a router presents, open Edit and validate from there.') : '',
    h('div', { class: 'actions' }, button),
    message.element,
    results,
  )
}
