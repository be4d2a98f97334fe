// Audit trail of one knoc: the 50 most recent records from GET /v1/audit.
import { ApiError } from '../api.js'
import { formatTimestamp, h } from '../dom.js'
import type { AuditRecord, KnocView } from '../types.js'
import { messageArea, table, type View } from '../view.js'

const recordLimit = 50

// Timestamps in details, such as expiresAt, are ISO 8601 in UTC.
const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) return Object.values(value).map(describeValue).join(', ')
  const text = String(value)
  // Shown in local time, like the Time column next to it.
  return isoTimestamp.test(text) ? formatTimestamp(text) : text
}

// Renders a record's detail as "key: value" pairs, not as JSON, leaving out
// empty values.
function describeDetail(detail: AuditRecord['detail']): string {
  if (detail === undefined || detail === null) return ''
  return Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key}: ${describeValue(value)}`)
    .join('; ')
}

export async function auditTab(view: View, knoc: KnocView, panel: HTMLElement): Promise<void> {
  const message = messageArea()
  const listArea = h('div', { class: 'table-wrap' })
  const refresh = h('button', { type: 'button' }, 'Refresh')
  panel.replaceChildren(h('div', { class: 'screen-heading' }, h('h2', {}, 'Recent audit records'), refresh), message.element, listArea)

  const load = async () => {
    try {
      const query = new URLSearchParams({ knoc: knoc.name, limit: String(recordLimit) })
      const { records } = await view.api.json<{ records: AuditRecord[] }>('GET', `/v1/audit?${query.toString()}`)
      listArea.replaceChildren(
        records.length === 0
          ? h('p', { class: 'empty' }, 'No audit records for this knoc yet.')
          : table(
              `Audit records of ${knoc.name}`,
              ['Time', 'Action', 'Actor', 'Client', 'Address', 'Grant', 'Detail'],
              records.map((record) => [
                formatTimestamp(record.at),
                record.action,
                record.actor ?? 'knocklist',
                record.clientAddress ?? '',
                record.address === undefined || record.address === null ? '' : h('code', {}, record.address),
                record.grantId === undefined || record.grantId === null ? '' : h('code', { class: 'wrap' }, record.grantId),
                describeDetail(record.detail),
              ]),
            ),
      )
    } catch (error) {
      listArea.replaceChildren()
      if (error instanceof ApiError && error.code === 'KNL_ROUTE_NOT_FOUND') {
        message.show('Audit trail not available: this knocklist server has no audit route (GET /v1/audit returned 404).', 'info')
      } else {
        message.showError('Loading the audit trail failed', error)
      }
    }
  }
  refresh.addEventListener('click', () => void load())
  await load()
}
