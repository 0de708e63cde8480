// The servers under test, each started the same way (plain node + probe, pinned to the server
// core; see build-servers.ts), differing only in entry point, environment and URL scheme.
import { join } from 'node:path'
import type { DialectName } from '../wire/dialect'
import { BENCH_DIR, REPO_DIR } from '../paths'
import { builtServer } from './build-servers'
import { shippedRelayNodeFlags } from './shipped-node-flags'

export const SERVER_IDS = ['ours', 'ours-memory', 'ours-uncompressed', 'y-websocket', 'hocuspocus', 'ws-floor'] as const
export type ServerId = (typeof SERVER_IDS)[number]

/** Peers we compare against (the floor is a bound, not a peer). */
export const PEER_IDS: readonly ServerId[] = ['y-websocket', 'hocuspocus']

export interface ServerSpec {
  id: ServerId
  /** Column heading in BENCHMARKS.md. */
  label: string
  dialect: DialectName
  entry: string
  /** Node flags before the entry (besides the bench's own probe and GC flags). */
  nodeFlags: readonly string[]
  /**
   * Where documents are kept beyond an open room: `disk` = SQLite in a fresh DATA_DIR on disk;
   * `memory` = the relay's in-memory store (PERSISTENCE=off: survives a room unload, not a
   * restart); null = nothing the bench can reload from (the peers and the floor).
   */
  storage: 'disk' | 'memory' | null
  /** HTTP path that answers 200 once the server is ready. */
  readyPath: string
  wsBase(port: number): string
  env(options: { port: number; dataDir: string | null }): Record<string, string>
}

const HOST = '127.0.0.1'

/**
 * Every simulated user of the bench connects from 127.0.0.1, so the relay's per-address abuse
 * limits (meant for one person or one proxy) would refuse the load itself; they are raised for
 * every run and listed in BENCHMARKS.md. Unknown variables are ignored by older relays.
 */
export const RELAY_BENCH_ENV: Readonly<Record<string, string>> = {
  MAX_CONNECTIONS_PER_IP: '1000000',
  MAX_ROOM_OPENS_PER_IP_PER_MINUTE: '100000000',
}

function oursSpec(id: 'ours' | 'ours-memory' | 'ours-uncompressed', label: string, storage: 'disk' | 'memory', extraEnv: Record<string, string> = {}): ServerSpec {
  return {
    id,
    label,
    dialect: 'y-websocket',
    // The production build, as `pnpm start` runs it.
    entry: join(REPO_DIR, 'apps/relay/dist/server.js'),
    nodeFlags: shippedRelayNodeFlags(),
    storage,
    readyPath: '/readyz',
    wsBase: (port) => `ws://${HOST}:${port}/sync/`,
    env: ({ port, dataDir }) => ({
      PORT: String(port),
      HOST,
      ...(storage === 'disk' ? { DATA_DIR: dataDir ?? '' } : { PERSISTENCE: 'off' }),
      LOG_LEVEL: 'warn',
      ...RELAY_BENCH_ENV,
      ...extraEnv,
    }),
  }
}

export const SERVERS: Readonly<Record<ServerId, ServerSpec>> = {
  ours: oursSpec('ours', 'ours', 'disk'),
  // The peers keep documents in memory only; this variant shows what persistence costs us.
  'ours-memory': oursSpec('ours-memory', 'ours (no persistence)', 'memory'),
  // Without the awareness compression it ships with: what compression saves (scenario 5 only).
  'ours-uncompressed': oursSpec('ours-uncompressed', 'ours (WS_COMPRESSION=off)', 'disk', { WS_COMPRESSION: 'off' }),
  'y-websocket': {
    id: 'y-websocket',
    label: 'y-websocket 1.5.4',
    dialect: 'y-websocket',
    entry: join(BENCH_DIR, 'node_modules/y-websocket-v1/bin/server.js'),
    nodeFlags: [],
    storage: null,
    readyPath: '/',
    wsBase: (port) => `ws://${HOST}:${port}/`,
    env: ({ port }) => ({ PORT: String(port), HOST }),
  },
  hocuspocus: {
    id: 'hocuspocus',
    label: 'Hocuspocus 3.4.4',
    dialect: 'hocuspocus',
    entry: builtServer('hocuspocus-server'),
    nodeFlags: [],
    storage: null,
    readyPath: '/',
    wsBase: (port) => `ws://${HOST}:${port}/`,
    env: ({ port }) => ({ PORT: String(port), HOST }),
  },
  'ws-floor': {
    id: 'ws-floor',
    label: 'ws floor',
    dialect: 'y-websocket',
    entry: builtServer('floor-server'),
    nodeFlags: [],
    storage: null,
    readyPath: '/',
    wsBase: (port) => `ws://${HOST}:${port}/`,
    env: ({ port }) => ({ PORT: String(port), HOST }),
  },
}
