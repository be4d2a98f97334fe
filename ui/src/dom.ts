// DOM building without innerHTML: text always goes in as text nodes, so API
// data can never become markup.

export type Child = Node | string | number | null | undefined | false
type AttributeValue = string | number | boolean | null | undefined
type Attributes = Record<string, AttributeValue | ((event: Event) => void)>

// Link targets must stay inside this origin: a fragment or an absolute path.
const safeHref = /^(#|\/(?!\/))/

/**
 * Creates an element with attributes and children. An attribute named
 * "on..." with a function value becomes an event listener. The value true
 * sets a boolean attribute, and false, null or undefined leave it out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value)
    } else if (value === true) {
      element.setAttribute(name, '')
    } else if (value !== false && value !== null && value !== undefined) {
      if (name === 'href' && !safeHref.test(String(value))) throw new TypeError(`refusing a link outside this site: ${String(value)}`)
      element.setAttribute(name, String(value))
    }
  }
  append(element, ...children)
  return element
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
}

let idCounter = 0

// Returns an element id unique within the page, for label and aria wiring.
export function uniqueId(prefix: string): string {
  idCounter += 1
  return `${prefix}-${idCounter}`
}

// Returns the link to the troubleshooting page of a RouterOS error code, or
// the plain code when it is no number.
export function errorCodeLink(code: number | undefined): Child {
  if (code === undefined) return null
  if (!Number.isInteger(code) || code < 0) return String(code)
  return h('a', { href: `/ui/errors/${code}`, target: '_blank', rel: 'noopener', class: 'code-link', 'aria-label': `error ${code}, troubleshooting page` }, String(code))
}

/** Formats a number of seconds as "2h 5m 3s", leaving out leading zero units. */
export function formatTimeLeft(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds))
  const days = Math.floor(seconds / 86_400)
  const hours = Math.floor((seconds % 86_400) / 3_600)
  const minutes = Math.floor((seconds % 3_600) / 60)
  const rest = seconds % 60
  const parts: string[] = []
  if (days > 0) parts.push(`${days}d`)
  if (days > 0 || hours > 0) parts.push(`${hours}h`)
  if (days > 0 || hours > 0 || minutes > 0) parts.push(`${minutes}m`)
  parts.push(`${rest}s`)
  return parts.join(' ')
}

export function formatTimestamp(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString()
}

/** Copies text to the clipboard; falls back to selecting a hidden text area where the Clipboard API is missing. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard !== undefined && window.isSecureContext) {
    await navigator.clipboard.writeText(text)
    return
  }
  const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' })
  area.value = text
  document.body.appendChild(area)
  area.select()
  const copied = document.execCommand('copy')
  area.remove()
  if (!copied) throw new Error('the browser blocked clipboard access; select the text and copy it by hand')
}
