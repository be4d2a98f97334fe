import type { GrantService } from '../grants/service.js'
import type { AuditLog } from './audit-log.js'

const endActions = { revoked: 'grant.revoked', expired: 'grant.expired', 'knoc-deleted': 'grant.ended' } as const

// Records the grant life cycle from the grant service's events, so every
// way a grant starts or ends is audited, whichever route or timer caused it.
export function auditGrantEvents(grants: GrantService, audit: AuditLog): void {
  grants.on('granted', (grant, extended, clientAddress) => {
    const base = { actor: grant.createdBy, knoc: grant.knoc, address: grant.address, grantId: grant.id, clientAddress }
    // The comment often gives the reason for the access, which auditors ask for.
    audit.record({ ...base, action: 'grant.created', detail: { user: grant.user, comment: grant.comment, expiresAt: new Date(grant.expiresAt).toISOString() } })
    if (extended) audit.record({ ...base, action: 'grant.extended', detail: { expiresAt: new Date(grant.expiresAt).toISOString() } })
  })
  grants.on('ended', (grant, reason, actor, clientAddress) => {
    audit.record({ action: endActions[reason], actor, knoc: grant.knoc, address: grant.address, grantId: grant.id, clientAddress, detail: { user: grant.user } })
  })
}
