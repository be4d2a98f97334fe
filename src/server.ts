import { readFileSync } from 'node:fs'
import path from 'node:path'
import closeWithGrace from 'close-with-grace'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { loadConfig, type LoadedConfig } from './config/load.js'
import { buildApp } from './http/app.js'
import { registerErrorHandlers } from './http/errors.js'
import { metricsRoutes } from './http/routes/metrics.js'
import { createLogger } from './logger.js'
import { createRuntime, type Runtime } from './runtime.js'
import { adminTokenFileName, feedPasswordFileName } from './secrets.js'
import { version } from './version.js'

export interface RunningServer {
  app: FastifyInstance
  runtime: Runtime
  address: string
  close(): Promise<void>
}

// Prints secrets generated on this start to stderr, once: they are also in
// the data folder (mode 0600), so a lost terminal is not a lost secret.
function announceGeneratedSecrets(runtime: Runtime, dataDir: string): void {
  const { secrets } = runtime
  if (secrets.generated.adminToken) {
    process.stderr.write(`knocklist: generated admin token (stored in ${path.join(dataDir, adminTokenFileName)}): ${secrets.adminToken}\n`)
  }
  if (secrets.generated.feedPassword) {
    process.stderr.write(`knocklist: generated feed password for user "feed" (stored in ${path.join(dataDir, feedPasswordFileName)}): ${secrets.feedPassword}\n`)
  }
}

// An address already in use usually means another knocklist is running,
// so the error names that cause instead of showing Node's stack.
function describeListenError(error: unknown): unknown {
  const { code, address, port } = error as { code?: unknown; address?: unknown; port?: unknown }
  const where = `${String(address)}:${String(port)}`
  if (code === 'EADDRINUSE') return new ListenError(`cannot listen on ${where}: the address is in use, perhaps by another knocklist; stop that process or change server.port (or metrics.listen)`, { cause: error })
  if (code === 'EACCES') return new ListenError(`cannot listen on ${where}: permission denied; use a port above 1023 or run with the right to bind low ports`, { cause: error })
  if (code === 'EADDRNOTAVAIL') return new ListenError(`cannot listen on ${where}: no such address on this machine; check server.host (or metrics.listen.host)`, { cause: error })
  return error
}

// Error raised when the server cannot listen. Nothing was changed on any router.
export class ListenError extends Error {
  override name = 'ListenError'
}

// Starts the server: loads the config, opens the store, listens. Signals
// are handled by the caller.
export async function startServer(loaded: LoadedConfig, logger: Logger = createLogger()): Promise<RunningServer> {
  const { config } = loaded
  // Read before the store is opened, so a missing file leaves nothing to clean up.
  const tls = config.server.tls
  const https = tls ? { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } : undefined
  const runtime = createRuntime(config, { usingDefaults: loaded.file === undefined, logger, deferRouters: true })
  announceGeneratedSecrets(runtime, config.dataDir)

  let app: FastifyInstance
  try {
    app = await buildApp(runtime.context, { logger, ...(https ? { https } : {}) })
  } catch (error) {
    await runtime.close()
    throw error
  }
  let address: string
  let metricsApp: FastifyInstance | undefined
  try {
    address = await app.listen({ host: config.server.host, port: config.server.port })
    const metricsListen = config.metrics.enabled ? config.metrics.listen : undefined
    if (metricsListen !== undefined) {
      const metricsOnly = Fastify({ loggerInstance: logger as FastifyBaseLogger })
      metricsApp = metricsOnly
      registerErrorHandlers(metricsOnly)
      await metricsOnly.register(metricsRoutes, runtime.context)
      const metricsAddress = await metricsOnly.listen({ host: metricsListen.host, port: metricsListen.port })
      logger.info({ address: metricsAddress }, 'metrics listening')
    }
  } catch (error) {
    await metricsApp?.close()
    await app.close()
    await runtime.close()
    throw describeListenError(error)
  }
  runtime.startRouters()
  logger.info(
    { version, address, knocs: runtime.context.knocs.all().map((knoc) => knoc.name), store: config.dataDir, config: loaded.file ?? 'built-in defaults' },
    'knocklist started',
  )

  let closing: Promise<void> | undefined
  return {
    app,
    runtime,
    address,
    close() {
      closing ??= (async () => {
        // Stop accepting requests first, then let router queues drain and
        // close the store.
        await metricsApp?.close()
        await app.close()
        await runtime.close()
        logger.info({ address }, 'knocklist stopped')
      })()
      return closing
    },
  }
}

// Runs `knocklist serve` until SIGTERM or SIGINT, then closes cleanly.
export async function serve(options: { configFile?: string }): Promise<void> {
  const logger = createLogger()
  const loaded = loadConfig({ file: options.configFile })
  const server = await startServer(loaded, logger)

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'shutting down after an error')
    else logger.info({ signal }, 'shutting down')
    await server.close()
  })
}
