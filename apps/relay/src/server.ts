// Entry point: read the configuration, open storage, listen, and shut down gracefully on
// SIGTERM/SIGINT. Everything else lives in app.ts.
import { DEFAULT_MAX_SNAPSHOT_BYTES, DEFAULT_MAX_UPDATE_BYTES, MemoryDocStore, openDocStore, type DocStore } from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import { buildApp } from './app'
import { ConfigError, configHelp, loadConfig, type RelayConfig } from './config'

/** Exit status for an unusable configuration (the message names the variable). */
const EXIT_CONFIG = 2
/** Exit status when storage cannot be opened or the port cannot be bound. */
const EXIT_STARTUP = 1

function fail(status: number, message: string): never {
  process.stderr.write(`relay: ${message}\n`)
  process.exit(status)
}

function storageKind(config: RelayConfig): 'memory' | 'postgresql' | 'sqlite' {
  if (config.persistence === 'off') return 'memory'
  return config.databaseUrl !== null ? 'postgresql' : 'sqlite'
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(configHelp())
    return
  }
  let config: RelayConfig
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) fail(EXIT_CONFIG, `${error.message}\nRun with --help to list every variable.`)
    throw error
  }

  let store: DocStore
  const storageLimits = {
    // Updates the relay emits can exceed one client's update (merged pending structs); the
    // document limit bounds them all.
    maxUpdateBytes: Math.max(DEFAULT_MAX_UPDATE_BYTES, config.limits.maxDocumentBytes),
    maxSnapshotBytes: Math.max(DEFAULT_MAX_SNAPSHOT_BYTES, config.limits.maxDocumentBytes * 2),
  }
  // The store opens before the app and its logger exist; a checkpoint fallback can only come
  // after writes, so the callback finds the logger set by then.
  let appLog: FastifyBaseLogger | null = null
  const onCheckpointFallback = (error: Error): void => {
    appLog?.warn({ err: error }, 'SQLite checkpoint thread failed; checkpoints run inside commits again')
  }
  try {
    store =
      config.persistence === 'off'
        ? new MemoryDocStore(storageLimits)
        : await openDocStore(
            config.databaseUrl !== null
              ? { databaseUrl: config.databaseUrl, ...storageLimits }
              : { dataDir: config.dataDir, ...storageLimits, onCheckpointFallback, checkpointThreadAtOpen: true },
          )
  } catch (error) {
    // PostgreSQL errors name the database without its password.
    const where = config.databaseUrl !== null ? 'in DATABASE_URL' : `under DATA_DIR=${config.dataDir}`
    fail(EXIT_STARTUP, `cannot open storage ${where}: ${(error as Error).message}`)
  }

  const app = await buildApp({ store, config })
  appLog = app.log
  if (config.persistence === 'off') {
    app.log.warn({ persistence: 'off' }, 'persistence is off: documents live only in memory and are lost on restart')
  }
  let url: string
  try {
    url = await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await store.close()
    fail(EXIT_STARTUP, `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`)
  }
  app.log.info(
    {
      url,
      storage: storageKind(config),
      ...(storageKind(config) === 'sqlite' ? { dataDir: config.dataDir } : {}),
      relayId: app.relay.cluster?.relayId ?? null,
      webDistDir: config.webDistDir,
    },
    'relay listening',
  )

  let stopping = false
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down: flushing rooms')
    // A hung flush must not keep a terminating process alive forever.
    setTimeout(() => {
      app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out')
      process.exit(1)
    }, config.shutdownTimeoutMs + 2_000).unref()
    try {
      await app.close()
      await store.close()
      app.log.info('relay stopped')
      process.exit(0)
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.once('SIGTERM', (signal) => void shutdown(signal))
  process.once('SIGINT', (signal) => void shutdown(signal))
}

await main()
