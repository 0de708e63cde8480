// Opening many clients: with a bounded number of handshakes in flight (a thousand simultaneous
// SYNs only measure the kernel's accept queue), or all at once where the scenario is a storm.
import { nowMs } from '../util/clock'
import type { LightClient } from '../wire/light-client'
import type { ConnectResult } from './session-types'

/** Opens `clients` (at most `concurrency` handshakes in flight), waits until each synced. */
export async function connectMany(clients: readonly LightClient[], concurrency: number, timeoutMs = 120_000): Promise<ConnectResult> {
  const startMs = nowMs()
  let next = 0
  let failures = 0
  let firstError = ''
  const deadline = Date.now() + timeoutMs
  const lane = async (): Promise<void> => {
    while (next < clients.length) {
      const client = clients[next++]!
      try {
        await client.open()
        await Promise.race([
          client.synced,
          new Promise((_, reject) => setTimeout(() => reject(new Error('sync timeout')), Math.max(1, deadline - Date.now()))),
        ])
      } catch (error) {
        failures++
        firstError ||= (error as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, clients.length)) }, lane))
  return { ...summarize(clients, startMs, failures), firstError }
}

export function summarize(clients: readonly LightClient[], startMs: number, failures: number, firstError = ''): ConnectResult {
  return {
    firstError,
    count: clients.length,
    failures,
    startMs,
    endMs: nowMs(),
    syncMs: clients.filter((c) => c.syncedAtMs > 0).map((c) => c.syncedAtMs - c.connectStartMs),
    bytesIn: clients.map((c) => c.bytesInWhenSynced),
    wireBytesIn: clients.map((c) => c.wireBytesInWhenSynced),
    bytesOut: clients.map((c) => c.bytesOut),
  }
}
