// The View each screen receives from the shell, and building blocks the
// screens share: message areas, tables and headings.
import type { ApiClient } from './api.js'
import { describeError } from './api.js'
import { h, type Child } from './dom.js'

export interface View {
  api: ApiClient
  // The element the screen renders into; emptied before each screen.
  main: HTMLElement
  // Goes to another screen. That screen shows `notice` once, for an outcome
  // such as a delete that left the screen it happened on.
  navigate(hash: string, notice?: string): void
  // The notice passed by the navigation that opened this screen.
  readonly notice: string | undefined
  // Registers work to undo when the user leaves the screen (timers).
  onLeave(cleanup: () => void): void
}

export type Screen = (view: View, ...parameters: string[]) => void | Promise<void>

export type MessageKind = 'info' | 'success' | 'error'

export interface MessageArea {
  readonly element: HTMLElement
  show(text: string, kind?: MessageKind, ...extra: Child[]): void
  showError(context: string, error: unknown): void
  clear(): void
}

/**
 * Creates a live region for the outcome of an action. It starts empty and is
 * filled later, because screen readers announce changes, not initial content.
 */
export function messageArea(): MessageArea {
  const element = h('div', { class: 'message', role: 'status', 'aria-live': 'polite' })
  const area: MessageArea = {
    element,
    show(text, kind = 'info', ...extra) {
      element.className = `message message-${kind}`
      element.replaceChildren(h('p', {}, text, ...extra))
    },
    showError(context, error) {
      area.show(`${context}: ${describeError(error)}`, 'error')
    },
    clear() {
      element.className = 'message'
      element.replaceChildren()
    },
  }
  return area
}

/** Renders a table with a header row; `rows` hold one array of cells per row. */
export function table(caption: string, headers: string[], rows: Child[][], className = 'data'): HTMLTableElement {
  return h(
    'table',
    { class: className },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, ...headers.map((header) => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell, index) => (index === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))))),
  )
}

export function screenHeading(text: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'screen-heading' }, h('h1', { tabindex: '-1' }, text), ...extra)
}
