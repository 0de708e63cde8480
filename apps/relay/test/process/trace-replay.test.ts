// Real editing trace through a real relay process: one writer, two readers, then a restart and a
// fresh client that must load the same text from storage.
import { describe, expect, it } from 'vitest'
import {
  applyPatches,
  loadTrace,
  processHarness,
  replayString,
  uniqueDocId,
  waitFor,
  yieldToEventLoop,
  type StockClient,
} from './support'

const txnCount = Number(process.env['TRACE_REPLAY_TXNS'] ?? 50_000)
// Pacing: yield every few hundred txns so sockets flow, and stop while the writer's socket has
// this much queued, so neither this process nor the relay buffers the whole trace at once.
const txnsPerYield = 250
const maxWriterBufferedBytes = 256 * 1024
// The default per-connection rate limit (300 msg/s, burst 3,000) would close the writer after
// a few thousand txns, and the rest would arrive as one resync; raising it, as an operator would
// for a bulk import, keeps this a test of 50,000 individual updates through the hot path.
const relayEnv = { MAX_MESSAGES_PER_SECOND: '1000000', MESSAGE_BURST: '1000000' }

async function waitSyncedAll(clients: StockClient[]): Promise<void> {
  await waitFor(() => clients.every((c) => c.synced), {
    timeoutMs: 15_000,
    message: () => `all clients synced (synced: ${clients.map((c) => c.synced).join(', ')})`,
  })
}

describe('trace replay through a relay process', () => {
  it(`replays ${txnCount.toLocaleString('en-US')} automerge-paper txns to two readers and reloads them after a restart`, { timeout: 120_000 }, async (context) => {
    const harness = processHarness(context)
    const trace = loadTrace('automerge-paper')
    expect(trace.txns.length).toBeGreaterThanOrEqual(txnCount)
    const expected = replayString(trace, txnCount)

    const relay = await harness.startRelay({ env: relayEnv })
    const docId = uniqueDocId('trace')
    const writer = harness.client(relay, docId)
    const readers = [harness.client(relay, docId), harness.client(relay, docId)]
    await waitSyncedAll([writer, ...readers])

    for (let i = 0; i < txnCount; i++) {
      applyPatches(writer.text, trace.txns[i]!.patches)
      if (i % txnsPerYield === txnsPerYield - 1) {
        await yieldToEventLoop()
        while (writer.bufferedBytes > maxWriterBufferedBytes) await new Promise((r) => setTimeout(r, 2))
      }
    }
    // Guards the replay itself: the writer's own doc must already hold the expected text.
    expect(writer.text.toString()).toBe(expected)

    for (const [index, reader] of readers.entries()) {
      await waitFor(() => reader.text.length === expected.length && reader.text.toString() === expected, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: () =>
          `reader ${index} converges to ${expected.length} chars (has ${reader.text.length}, ` +
          `synced ${reader.synced}, close codes [${reader.closeCodes.join(', ')}])`,
      })
    }
    harness.note(`close codes seen by readers: ${JSON.stringify(readers.map((r) => r.closeCodes))}`)
    // Every txn went through the relay as its own update: the writer was never cut off.
    expect(writer.closeCodes).toEqual([])

    // Clients leave before the restart: nothing may heal the relay from a client's copy.
    writer.destroy()
    for (const reader of readers) reader.destroy()
    const exit = await relay.kill('SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    await relay.restart()

    const fresh = harness.client(relay, docId)
    await waitSyncedAll([fresh])
    // The relay must not serve a half-loaded doc: once synced, the whole text is there.
    expect(fresh.text.length).toBe(expected.length)
    expect(fresh.text.toString()).toBe(expected)
  })
})
