import { z } from 'zod'
import { knocNamePattern } from '../config/schema.js'

// Route schemas: they validate requests and describe the API in OpenAPI.

const text = (field: string, max: number) =>
  z
    .string({ message: `${field} must be a string` })
    .max(max, { message: `${field} must be at most ${max} characters` })
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { message: `${field} must not contain control characters such as line breaks` })

export const knocParams = z.object({
  knoc: z.string().describe('Knoc name, matching ^[a-z0-9][a-z0-9-]{0,62}$'),
})

export const grantParams = z.object({ id: z.string().describe('Grant id as returned when the grant was created') })

export const grantBody = z
  .strictObject({
    address: z.string({ message: 'address is required and must be a string such as "192.0.2.1"' }).describe('IPv4 or IPv6 host or network, such as 192.0.2.1 or 2001:db8::/64'),
    ttl: z.union([z.string(), z.number()], { message: 'ttl must be seconds or a duration string such as "8h"' }).optional().describe('Seconds, or a duration such as 90s, 15m, 8h, 1h30m; the knoc default when absent'),
    user: text('user', 128).nullable().optional().describe('Who the grant is for'),
    comment: text('comment', 256).nullable().optional(),
  })
  .describe('A grant request')

export const grantReply = z.object({
  id: z.string(),
  knoc: z.string(),
  address: z.string().describe('Canonical form: IPv4 hosts without /32, IPv6 hosts without /128, networks with host bits cleared'),
  user: z.string().nullable(),
  comment: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
})

export const errorReply = z.object({
  statusCode: z.number(),
  code: z.string().describe('Stable KNL_ code, listed in docs/api-errors.md'),
  error: z.string(),
  message: z.string(),
})

export const feedParams = z.object({ file: z.string().describe('Knoc name and format, such as office-ssh.txt or office-ssh.json') })

export const feedQuery = z.object({
  family: z.string().optional().describe('ipv4 or ipv6 to list one address family only'),
})

export const auditQuery = z.object({
  knoc: z.string().optional(),
  since: z.string().optional().describe('ISO 8601 time; records at or after it'),
  until: z.string().optional().describe('ISO 8601 time; records before it'),
  limit: z.string().optional().describe('1 to 1000, default 100'),
})

export const knocNameSchema = z.string().regex(knocNamePattern)
