// Case 17: a reader that never reads. Past the soft limit the relay stops queueing updates and
// presence for it (its buffer stays bounded), closes it with 4508 once it has been behind too
// long, and a reader that only stalled for a while is caught up with one diff when it drains.
import { CloseCode, encodeSyncStep1 } from '@collab/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import * as Y from 'yjs'
import type { Connection } from '../../src/connection/connection'
import { connectClient, removeDir, startRelay, textOf, waitFor, waitForSync, type StartedRelay } from '../helpers'
import { HonestPair, MeasurementLog, rawUpgrade, runCase, wsFrame } from './support'

const log = new MeasurementLog('backpressure')
const SOFT_LIMIT_BYTES = 64 * 1024
const CHUNK_CHARS = 100_000
const MAX_BEHIND_MS = 2_000

/** The relay-side connection that appeared while `connect` ran. */
async function newConnection(relay: StartedRelay, connect: () => Promise<void>): Promise<Connection> {
  const before = new Set(relay.app.relay.connections)
  await connect()
  return await waitFor(() => [...relay.app.relay.connections].find((connection) => !before.has(connection)), {
    message: 'the new connection to register',
  })
}

/** The writer inserts and deletes a large chunk, `rounds` times: lots of traffic, a small document. */
async function pushTraffic(pair: HonestPair, rounds: number, onRound: () => boolean | void = () => {}): Promise<void> {
  const text = pair.a.doc.getText('text')
  for (let round = 0; round < rounds; round++) {
    const at = text.length
    text.insert(at, 'p'.repeat(CHUNK_CHARS))
    text.delete(at, CHUNK_CHARS)
    if (onRound() === true) return
    // Let the sockets move, as a real typist's pauses would.
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

describe('backpressure', () => {
  let relay: StartedRelay

  beforeAll(async () => {
    relay = await startRelay({
      config: { sendBufferSoftLimitBytes: SOFT_LIMIT_BYTES, sendBufferHardLimitBytes: 1024 * 1024, maxBehindMs: MAX_BEHIND_MS },
    })
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('case 17: a reader that never reads stops being queued to (bounded buffer) and is closed with 4508', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 17,
      title: 'slow reader that never reads',
      docId: 'case-17',
      documentMayChange: true, // the honest writer's traffic is the attack's fuel
      async attack(pair) {
        let stalled: Awaited<ReturnType<typeof rawUpgrade>> | null = null
        const connection = await newConnection(relay, async () => {
          stalled = await rawUpgrade(relay.port, '/sync/case-17')
          stalled.socket.write(wsFrame(0x2, encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))))
        })
        stalled!.socket.pause() // never reads again: the kernel buffers fill, then the relay's
        let maxBuffered = 0
        let sawBehind = false
        const sample = (): void => {
          maxBuffered = Math.max(maxBuffered, connection.socket.bufferedAmount)
          sawBehind ||= connection.behind
        }
        // Clients compress what they send (permessage-deflate), so the relay handles the traffic
        // a little after it was sent: keep sampling while it works through it.
        const sampler = setInterval(sample, 1)
        try {
          await pushTraffic(pair, 120, sample)
          await waitFor(() => sawBehind, { timeoutMs: 10_000, message: 'the relay to stop queueing to the stalled reader' })
        } finally {
          clearInterval(sampler)
        }
        // Bounded: at most the soft limit plus the one frame that crossed it.
        expect(maxBuffered).toBeLessThan(SOFT_LIMIT_BYTES + CHUNK_CHARS + 1024)
        await waitFor(() => connection.closedWith === CloseCode.SlowConsumer, { timeoutMs: MAX_BEHIND_MS + 8_000, message: 'the stalled reader to be closed with 4508' })
        await waitFor(() => !relay.app.relay.connections.has(connection), { message: 'the stalled socket to be dropped' })
        await waitFor(() => textOf(pair.b.doc) === textOf(pair.a.doc), { message: 'the honest reader to hold everything' })
        stalled!.socket.destroy()
        return `behind after the kernel buffers filled; relay-side buffer peaked at ${Math.round(maxBuffered / 1024)} KiB; closed with 4508 after ${MAX_BEHIND_MS} ms behind`
      },
    })
  })

  it('a reader that stalls and then drains gets one resync and converges, without reconnecting', async () => {
    // Its own relay: a long MAX_BEHIND_MS, so a busy machine cannot turn the stall into a 4508.
    const patient = await startRelay({ config: { sendBufferSoftLimitBytes: SOFT_LIMIT_BYTES } })
    const pair = await HonestPair.connect(patient.syncUrl, 'stall-then-drain')
    const slow = connectClient(patient.syncUrl, 'stall-then-drain')
    try {
      let connects = 0
      slow.provider.on('status', ({ status }: { status: string }) => {
        if (status === 'connected') connects++
      })
      const connection = await newConnection(patient, () => waitForSync(slow.provider))
      const socket = (slow.provider.ws as unknown as WebSocket & { _socket: { pause(): void; resume(): void } })._socket
      socket.pause()
      // Until the relay has stopped queueing to it.
      await pushTraffic(pair, 400, () => connection.behind)
      expect(connection.behind).toBe(true)
      pair.a.doc.getText('text').insert(0, '<while behind>')
      socket.resume()
      await waitFor(() => !connection.behind, { timeoutMs: 15_000, message: 'the reader to drain' })
      await waitFor(() => textOf(slow.doc) === textOf(pair.a.doc), { timeoutMs: 15_000, message: 'the resync to bring it up to date' })
      expect(textOf(slow.doc)).toContain('<while behind>')
      expect(connection.closedWith).toBeNull()
      expect(connects).toBe(1) // the first connect only: caught up without a reconnect
      await pair.keepsSyncing('after the stall')
    } finally {
      slow.destroy()
      pair.destroy()
      await patient.close()
      removeDir(patient.dataDir)
    }
  })
})
