import { WebSocket } from 'ws'
import type { SyncClient, SyncClientOptions, SyncStatus, Timers } from '../src/api'
import { createSyncClient } from '../src/sync-client'
import { waitFor } from './mini-relay'

export const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

let docCounter = 0
/** A fresh doc id per test so IndexedDB databases and relay rooms never collide. */
export function freshDocId(label: string): string {
  return `${label}-${process.pid}-${++docCounter}`
}

export interface TestClient {
  client: SyncClient
  statuses: SyncStatus[]
  /** Connection states seen, consecutive duplicates collapsed. */
  connectionHistory(): string[]
  waitForStatus(what: string, predicate: (status: SyncStatus) => boolean, timeoutMs?: number): Promise<void>
}

export function openClient(options: Partial<SyncClientOptions> & Pick<SyncClientOptions, 'serverUrl' | 'docId'>): TestClient {
  const client = createSyncClient({
    WebSocketPolyfill: NodeWebSocket,
    disableBc: true,
    indexedDB: false,
    storage: null,
    networkEvents: null,
    backoff: { baseMs: 20, maxMs: 200 },
    ...options,
  })
  const statuses: SyncStatus[] = [client.getStatus()]
  client.subscribe((status) => statuses.push(status))
  return {
    client,
    statuses,
    connectionHistory: () =>
      statuses.map((s) => s.connection).filter((state, i, all) => i === 0 || all[i - 1] !== state),
    waitForStatus: (what, predicate, timeoutMs) => waitFor(what, () => predicate(client.getStatus()), timeoutMs),
  }
}

/** Real timers that also record every requested delay. */
export function recordingTimers(): Timers & { delaysMs: number[] } {
  const delaysMs: number[] = []
  return {
    delaysMs,
    setTimeout: (callback, delayMs) => {
      delaysMs.push(delayMs)
      return setTimeout(callback, delayMs)
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
}
