// Presence load: clients moving their cursors at 10–30 Hz each (seeded), and one observer that
// decodes awareness to check everyone's last state arrived.
import { encodeAwareness, encodeAwarenessEntries, readAwarenessUpdate } from '@collab/protocol'
import { nowMs, sleep } from '../../util/clock'
import { seededRandom, uniform } from '../../util/rng'
import { DIALECTS } from '../../wire/dialect'
import { LightClient } from '../../wire/light-client'
import { connectMany } from '../connect-many'
import type { SessionKinds, WorkerSession } from '../session-types'

const COLORS = ['#30bced', '#6eeb83', '#ffbc42', '#ecd444', '#ee6352', '#9ac2c9', '#8acb88', '#1be7ff']

/** A y-prosemirror-like presence state: user name and colour, cursor as two relative positions. */
function presenceJson(clientId: number, position: number): string {
  const at = (offset: number) => ({ type: { client: 1, clock: 0 }, tname: null, item: { client: 20_000 + (clientId % 7), clock: position + offset }, assoc: 0 })
  return JSON.stringify({
    user: { name: `User ${clientId}`, color: COLORS[clientId % COLORS.length] },
    cursor: { anchor: at(0), head: at(position % 3) },
  })
}

export async function awarenessSession(spec: SessionKinds['awareness']['spec']): Promise<WorkerSession<'awareness'>> {
  const dialect = DIALECTS[spec.dialect]
  const random = seededRandom(spec.seed)
  const clients = Array.from({ length: spec.count }, () => new LightClient({ baseUrl: spec.baseUrl, docId: spec.docId, dialect }))
  const members = clients.map((client, i) => ({
    client,
    clientId: spec.clientIdBase + i,
    intervalMs: 1000 / uniform(random, spec.minHz, spec.maxHz),
    clock: 0,
    position: Math.floor(random() * 50_000),
  }))
  const connected = await connectMany(clients, 50)
  if (connected.failures > 0) throw new Error(`${connected.failures} of ${spec.count} awareness clients failed to connect: ${connected.firstError}`)
  let baseFrames = 0
  let baseBytes = 0
  const received = () => ({
    receivedFrames: clients.reduce((s, c) => s + c.framesIn, 0) - baseFrames,
    receivedBytes: clients.reduce((s, c) => s + c.wireBytesIn, 0) - baseBytes,
  })

  return {
    ready: connected,
    commands: {
      run: async ({ startAtMs, durationMs }) => {
        baseFrames = clients.reduce((s, c) => s + c.framesIn, 0)
        baseBytes = clients.reduce((s, c) => s + c.wireBytesIn, 0)
        const sentBefore = clients.reduce((s, c) => s + c.wireBytesOut, 0)
        const framesBefore = clients.reduce((s, c) => s + c.framesOut, 0)
        const due = members.map((m) => startAtMs + random() * m.intervalMs)
        const endAtMs = startAtMs + durationMs
        while (nowMs() < startAtMs) await sleep(1)
        await new Promise<void>((resolve) => {
          const tick = (): void => {
            const now = nowMs()
            members.forEach((m, i) => {
              if (due[i]! > now || due[i]! >= endAtMs) return
              m.clock++
              m.position += 1 + Math.floor(random() * 3)
              const entries = [{ clientId: m.clientId, clock: m.clock, stateJson: presenceJson(m.clientId, m.position) }]
              m.client.send(encodeAwareness(encodeAwarenessEntries(entries)))
              due[i] = due[i]! + m.intervalMs
            })
            if (now >= endAtMs) resolve()
            else setTimeout(tick, 2)
          }
          tick()
        })
        return {
          sentFrames: clients.reduce((s, c) => s + c.framesOut, 0) - framesBefore,
          sentBytes: clients.reduce((s, c) => s + c.wireBytesOut, 0) - sentBefore,
          ...received(),
          finalClocks: members.map((m) => [m.clientId, m.clock] as [number, number]),
          startMs: startAtMs,
          endMs: nowMs(),
        }
      },
      counters: async () => received(),
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()))
    },
  }
}

export async function awarenessObserverSession(spec: SessionKinds['awarenessObserver']['spec']): Promise<WorkerSession<'awarenessObserver'>> {
  const seen = new Map<number, number>()
  const client = new LightClient({
    baseUrl: spec.baseUrl,
    docId: spec.docId,
    dialect: DIALECTS[spec.dialect],
    onAwareness: (payload) => {
      for (const entry of readAwarenessUpdate(payload)) {
        if (entry.clock > (seen.get(entry.clientId) ?? -1)) seen.set(entry.clientId, entry.clock)
      }
    },
  })
  await client.open()
  await client.synced
  return {
    ready: { syncedAtMs: client.syncedAtMs },
    commands: {
      waitFor: async ({ clocks, timeoutMs }) => {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const missing = clocks.filter(([id, clock]) => (seen.get(id) ?? -1) < clock).length
          if (missing === 0 || Date.now() > deadline) return { converged: missing === 0, atMs: nowMs(), missing }
          await sleep(20)
        }
      },
    },
    close: () => client.close(),
  }
}
