import { pino, type Logger } from 'pino'
import { redactedLogPaths } from './http/app.js'

// The process logger: JSON lines on stdout, secrets redacted by path.
export function createLogger(level = process.env.KNOCKLIST_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: { paths: redactedLogPaths, censor: '[redacted]' },
  })
}
