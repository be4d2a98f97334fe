// The result of POST /v1/knocs/{knoc}/validate: every check of every router,
// passed or failed, with the RouterOS error code and its troubleshooting page.
import { errorCodeLink, h } from './dom.js'
import { formatFingerprint, normalizeFingerprint } from './rules.js'
import type { RouterValidation } from './types.js'

const checkLabels: Record<string, string> = {
  reachable: 'Router reachable (TCP)',
  tls: 'TLS certificate',
  authentication: 'Authentication',
  rest: 'REST API available',
  'read-list': 'Address list readable',
}

export interface ValidationReportOptions {
  // Offers a button that pins the fingerprint the router presented.
  onPin?: (routerName: string, fingerprint: string) => void
  // The only router offered the button, when the form edits just that one.
  pinnableRouter?: string
  // The fingerprint pinned now, so the report can state that it matches instead of offering it.
  pinned?: string
}

export function validationReport(routers: RouterValidation[], options: ValidationReportOptions = {}): HTMLElement {
  if (routers.length === 0) {
    return h('p', { class: 'empty' }, 'This knoc has no routers to validate: in passive mode routers poll the feed, so knocklist never connects to them.')
  }
  return h('div', { class: 'validation' }, ...routers.map((router) => routerReport(router, options)))
}

function routerReport(router: RouterValidation, options: ValidationReportOptions): HTMLElement {
  const checks = router.checks ?? []
  const summary = router.ok
    ? h('span', { class: 'badge badge-ok' }, 'all checks passed')
    : h('span', { class: 'badge badge-failed' }, 'failed', router.code === undefined ? '' : ` with ${router.code}`)

  const items = checks.map((check) =>
    h(
      'li',
      { class: check.ok ? 'check check-ok' : 'check check-failed' },
      h('span', { class: 'check-status' }, check.ok ? 'Passed' : 'Failed'),
      ' ',
      h('span', { class: 'check-name' }, checkLabels[check.check] ?? check.check),
      check.code === undefined ? null : h('strong', { class: 'check-code' }, ` ${check.code}`),
      check.message === undefined ? null : h('span', { class: 'check-message' }, check.message),
      check.code === undefined ? null : h('a', { href: `/ui/errors/${check.code}`, target: '_blank', rel: 'noopener', class: 'check-docs' }, `Troubleshooting page for ${check.code}`),
    ),
  )
  // Checks stop at the first failure, so a failed last check hides the rest.
  const last = checks[checks.length - 1]
  const stopped = last !== undefined && !last.ok && last.check !== 'read-list'
  if (checks.length === 0 && router.message !== undefined) {
    items.push(h('li', { class: 'check check-failed' }, h('span', { class: 'check-status' }, 'Failed'), ' ', errorCodeLink(router.code), h('span', { class: 'check-message' }, router.message)))
  }

  return h(
    'section',
    { class: 'router-report', 'aria-label': `Router ${router.name}` },
    h('h3', {}, `Router ${router.name} `, summary),
    h('ol', { class: 'checks' }, ...items),
    stopped ? h('p', { class: 'hint' }, 'The checks after the failed one did not run.') : null,
    router.fingerprint === undefined ? null : fingerprintBlock(router.name, router.fingerprint, options),
  )
}

function fingerprintBlock(routerName: string, fingerprint: string, options: ValidationReportOptions): HTMLElement {
  return h(
    'div',
    { class: 'fingerprint' },
    h('p', {}, 'The router presented a certificate with this SHA-256 fingerprint. Compare it with ', h('code', {}, '/certificate print detail'), ' on the router before you pin it.'),
    h('p', {}, h('code', { class: 'mono wrap', 'data-fingerprint': normalizeFingerprint(fingerprint) }, formatFingerprint(fingerprint))),
    options.pinned !== undefined && normalizeFingerprint(options.pinned) === normalizeFingerprint(fingerprint)
      ? h('p', { class: 'hint' }, 'This is the pinned fingerprint.')
      : options.onPin === undefined || (options.pinnableRouter !== undefined && options.pinnableRouter !== routerName)
        ? null
        : h('button', { type: 'button', onclick: () => options.onPin?.(routerName, fingerprint) }, 'Pin this fingerprint'),
  )
}
