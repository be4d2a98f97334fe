// Shapes of the admin API replies the interface reads. Fields the interface
// does not use are left out.

export type KnocMode = 'active' | 'passive' | 'passive-plus'

export interface RouterSync {
  connected?: boolean
  lastErrorCode?: number
  lastErrorMessage?: string
  lastErrorAt?: string
  lastSuccessAt?: string
  queueLength?: number
}

export interface RouterView {
  name: string
  url: string
  username: string
  insecure: boolean
  ca?: string
  fingerprint?: string
  sync?: RouterSync
}

export interface KnocView {
  name: string
  source: 'config' | 'store'
  mode: KnocMode
  addressList: string
  ttl: { default: string; max: string }
  prefix: { ipv4: number; ipv6: number }
  feed: { username: string; allowFrom: string[]; pollInterval: string; passwordSource: 'generated' | 'knoc' }
  activeGrants: number
  addresses: number
  routers: RouterView[]
}

export interface Grant {
  id: string
  knoc: string
  address: string
  user: string | null
  comment: string | null
  createdAt: string
  expiresAt: string
}

export interface ValidationCheck {
  check: string
  ok: boolean
  code?: number
  message?: string
  docs?: string
}

export interface RouterValidation {
  name: string
  ok: boolean
  code?: number
  message?: string
  fingerprint?: string
  checks?: ValidationCheck[]
}

export interface AuditRecord {
  at: string
  action: string
  actor: string | null
  knoc?: string | null
  address?: string | null
  grantId?: string | null
  clientAddress?: string | null
  detail?: Record<string, unknown> | null
}

export const modeLabels: Record<KnocMode, string> = {
  active: 'Active',
  passive: 'Passive',
  'passive-plus': 'Passive+',
}

export function pollsFeed(mode: KnocMode): boolean {
  return mode === 'passive' || mode === 'passive-plus'
}
