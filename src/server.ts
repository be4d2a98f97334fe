import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { loadConfig, type LoadedConfig } from './config/load.js'
import { buildApp } from './http/app.js'
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

// Starts the server: loads the config, opens the store, listens. Signals
// are handled by the caller.
export async function startServer(loaded: LoadedConfig, logger: Logger = createLogger()): Promise<RunningServer> {
  const { config } = loaded
  const runtime = createRuntime(config, { usingDefaults: loaded.file === undefined, logger })
  announceGeneratedSecrets(runtime, config.dataDir)

  const tls = config.server.tls
  const app = await buildApp(runtime.context, {
    logger,
    ...(tls ? { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {}),
  })
  let address: string
  try {
    address = await app.listen({ host: config.server.host, port: config.server.port })
  } catch (error) {
    await app.close()
    await runtime.close()
    throw error
  }
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

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down')
    const forceExit = setTimeout(() => {
      logger.error({ signal }, 'shutdown took longer than 10 s, exiting')
      process.exit(1)
    }, 10_000)
    forceExit.unref()
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
