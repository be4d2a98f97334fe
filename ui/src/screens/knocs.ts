// Knocs list: mode, list name, active grants and the sync state of every
// router, refreshed every 10 seconds while the screen is open.
import { errorCodeLink, formatTimestamp, h, type Child } from '../dom.js'
import { modeLabels, pollsFeed, type KnocMode, type KnocView, type RouterView } from '../types.js'
import { messageArea, screenHeading, table, type View } from '../view.js'

const refreshIntervalMs = 10_000

export function routerState(router: RouterView, mode: KnocMode, showName = true): HTMLElement {
  const sync = router.sync
  let state: Child
  // knocklist keeps no connection to routers that only poll the feed.
  if (sync === undefined) state = h('span', { class: 'badge' }, pollsFeed(mode) ? 'polls the feed' : 'not contacted yet')
  else if (sync.connected === true) state = h('span', { class: 'badge badge-ok' }, 'connected')
  else if (sync.connected === false) state = h('span', { class: 'badge badge-failed' }, 'failing')
  else state = h('span', { class: 'badge' }, 'not contacted yet')

  const details: Child[] = []
  if (sync?.lastErrorCode !== undefined) {
    details.push(' ', 'error ', errorCodeLink(sync.lastErrorCode))
    if (sync.lastErrorMessage !== undefined) details.push(h('span', { class: 'router-error' }, sync.lastErrorMessage))
  }
  if (sync?.queueLength !== undefined && sync.queueLength > 0) details.push(h('span', { class: 'hint' }, `${sync.queueLength} change(s) waiting`))
  return h('li', { class: 'router-state' }, showName ? h('span', { class: 'router-name' }, router.name) : null, ' ', state, ...details)
}

export function routerStates(knoc: KnocView): Child {
  if (knoc.routers.length === 0) return h('span', { class: 'hint' }, pollsFeed(knoc.mode) ? 'none: routers poll the feed' : 'none')
  return h('ul', { class: 'plain' }, ...knoc.routers.map((router) => routerState(router, knoc.mode)))
}

export async function knocsScreen(view: View): Promise<void> {
  const message = messageArea()
  const listArea = h('div', { class: 'table-wrap' })
  const updated = h('p', { class: 'hint', 'aria-live': 'off' })
  const refresh = h('button', { type: 'button' }, 'Refresh')

  view.main.replaceChildren(
    screenHeading('Knocs', h('div', { class: 'heading-actions' }, refresh, h('a', { href: '#/new', class: 'button primary' }, 'New knoc'))),
    h('p', { class: 'lede' }, 'A knoc is one protected resource. Its granted addresses reach the firewall as an address list.'),
    message.element,
    listArea,
    updated,
  )

  const load = async (announce: boolean) => {
    try {
      const { knocs } = await view.api.json<{ knocs: KnocView[] }>('GET', '/v1/knocs')
      listArea.replaceChildren(knocs.length === 0 ? h('p', { class: 'empty' }, 'No knocs yet. Create one with New knoc.') : knocTable(knocs))
      updated.textContent = `Updated ${formatTimestamp(new Date().toISOString())}`
      if (announce) message.show(`Loaded ${knocs.length} knoc${knocs.length === 1 ? '' : 's'}.`)
    } catch (error) {
      message.showError('Loading the knocs failed', error)
    }
  }

  if (view.notice !== undefined) message.show(view.notice, 'success')
  refresh.addEventListener('click', () => void load(true))
  const timer = window.setInterval(() => void load(false), refreshIntervalMs)
  view.onLeave(() => window.clearInterval(timer))
  await load(false)
}

function knocTable(knocs: KnocView[]): HTMLTableElement {
  return table(
    'Knocs',
    ['Name', 'Mode', 'Address list', 'Active grants', 'Routers'],
    knocs.map((knoc) => [
      h('a', { href: `#/knocs/${encodeURIComponent(knoc.name)}` }, knoc.name),
      h('span', {}, modeLabels[knoc.mode] ?? knoc.mode, knoc.source === 'config' ? h('span', { class: 'badge', title: 'Declared in the config file; read-only here' }, 'config') : null),
      h('code', {}, knoc.addressList),
      String(knoc.activeGrants),
      routerStates(knoc),
    ]),
  )
}
