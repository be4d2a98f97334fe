// The admin web interface: a hash router over the screens. Routes look like
// #/knocs, #/new, #/knocs/<name>/<tab> and #/knocs/<name>/edit; other
// fragments, such as the skip link's #main, leave the screen alone.
import { ApiClient, storedToken, storeToken } from './api.js'
import { renderSignIn } from './screens/sign-in.js'
import { isKnocTab, knocScreen } from './screens/knoc.js'
import { knocsScreen } from './screens/knocs.js'
import { wizardScreen } from './screens/wizard.js'
import type { View } from './view.js'

const main = document.getElementById('main') as HTMLElement
const nav = document.getElementById('nav') as HTMLElement
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement

let api: ApiClient | undefined
let leaveHandlers: Array<() => void> = []

function clientFor(token: string): ApiClient {
  return new ApiClient(token, () => signOut('The server rejected the admin token, so you were signed out. Sign in again.'))
}

function signOut(notice?: string): void {
  storeToken(undefined)
  api = undefined
  showSignIn(notice)
}

function leaveScreen(): void {
  for (const cleanup of leaveHandlers) cleanup()
  leaveHandlers = []
}

function showSignIn(notice?: string): void {
  leaveScreen()
  nav.hidden = true
  document.title = 'Sign in - knocklist admin'
  renderSignIn(main, notice, (token) => {
    api = clientFor(token)
    if (!location.hash.startsWith('#/') || location.hash === '#/sign-in') location.hash = '#/knocs'
    else void route()
  })
}

/** Splits "#/knocs/office/grants" into decoded path segments. */
function segments(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part)
      } catch {
        return part
      }
    })
}

let pendingNotice: string | undefined

async function route(): Promise<void> {
  if (api === undefined) {
    showSignIn()
    return
  }
  leaveScreen()
  nav.hidden = false
  const notice = pendingNotice
  pendingNotice = undefined
  const view: View = {
    api,
    main,
    navigate: (hash, next) => {
      pendingNotice = next
      location.hash = hash
    },
    notice,
    onLeave: (cleanup) => leaveHandlers.push(cleanup),
  }

  const [first, name, tab] = segments(location.hash)
  main.replaceChildren()
  for (const link of nav.querySelectorAll('a')) link.removeAttribute('aria-current')

  if (first === 'new') {
    markCurrent('#/new')
    document.title = 'New knoc - knocklist admin'
    await wizardScreen(view)
  } else if (first === 'knocs' && name !== undefined && tab === 'edit') {
    document.title = `Edit ${name} - knocklist admin`
    await wizardScreen(view, name)
  } else if (first === 'knocs' && name !== undefined) {
    const selected = tab !== undefined && isKnocTab(tab) ? tab : 'overview'
    document.title = `${name} - knocklist admin`
    await knocScreen(view, name, selected)
  } else {
    markCurrent('#/knocs')
    document.title = 'Knocs - knocklist admin'
    await knocsScreen(view)
  }
  focusHeading()
}

function markCurrent(hash: string): void {
  nav.querySelector(`a[href="${hash}"]`)?.setAttribute('aria-current', 'page')
}

// Moves focus to the new screen's heading, so keyboard and screen reader
// users start there, unless the screen already focused a field.
function focusHeading(): void {
  if (document.activeElement !== null && document.activeElement !== document.body && main.contains(document.activeElement)) return
  main.querySelector<HTMLElement>('h1')?.focus()
}

signOutButton.addEventListener('click', () => signOut('Signed out. The token was removed from this browser tab.'))

window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/')) void route()
})

const token = storedToken()
if (token === undefined) showSignIn()
else {
  api = clientFor(token)
  void route()
}
