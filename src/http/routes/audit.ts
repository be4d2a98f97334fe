import type { FastifyInstance } from 'fastify'
import { KnocklistError } from '../../errors.js'
import type { AppContext } from '../context.js'
import { auditQuery } from '../schemas.js'

const maxLimit = 1000

function parseTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const time = Date.parse(value)
  if (Number.isNaN(time)) {
    throw new KnocklistError('KNL_REQUEST_INVALID', `invalid ${name} ${JSON.stringify(value)}: use an ISO 8601 time such as 2026-12-01T00:00:00Z`)
  }
  return time
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 100
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > maxLimit) {
    throw new KnocklistError('KNL_REQUEST_INVALID', `invalid limit ${JSON.stringify(value)}: use a whole number from 1 to ${maxLimit}`)
  }
  return Number(value)
}

export async function auditRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get<{ Querystring: { knoc?: string; since?: string; until?: string; limit?: string } }>('/v1/audit', {
    schema: { summary: 'Read the audit trail, newest first', tags: ['audit'], querystring: auditQuery },
  }, async (request) => {
    const { knoc, since, until, limit } = request.query
    const records = context.audit.query({
      ...(knoc === undefined ? {} : { knoc }),
      ...(since === undefined ? {} : { since: parseTime('since', since) }),
      ...(until === undefined ? {} : { until: parseTime('until', until) }),
      limit: parseLimit(limit),
    })
    return { records }
  })
}
