// The process harness's own restart contract: a restarted relay is ready only when *it* answers
// on its port. FUZZ_SEED=2608555786 once failed under load with a fresh client loading an empty
// document after the relay confirmed it saved, was SIGKILLed and restarted. The one path found
// that gives exactly that: while the relay was down another process took the freed port (other
// tests' relays and proxies bind free ports on this shared machine), its /readyz answered 200,
// the harness took that for our relay, and the fresh client loaded from a relay with another
// DATA_DIR while ours exited with EADDRINUSE. Storage had kept everything.
import { describe, expect, it } from 'vitest'
import { processListensOn } from './port-owner'
import { storedText } from './stored-docs'
import { processHarness, uniqueDocId, waitFor } from './support'

const TEXT = 'saved before the kill'

describe('RelayProcess restart', () => {
  it('fails loudly when another process took the port while the relay was down, and loads the stored document once it is free', { timeout: 60_000 }, async (context) => {
    const harness = processHarness(context)
    const relay = await harness.startRelay()
    expect(processListensOn(relay.pid!, relay.port), 'the relay holds its port').toBe(true)
    expect(processListensOn(process.pid, relay.port), 'the test process does not').toBe(false)

    const docId = uniqueDocId('squatted')
    const writer = harness.client(relay, docId)
    await waitFor(() => writer.synced, { timeoutMs: 15_000, message: 'writer synced' })
    writer.text.insert(0, TEXT)
    await waitFor(async () => (await storedText(relay.dataDir, docId)) === TEXT, { timeoutMs: 15_000, message: 'text durable in SQLite' })
    writer.destroy()
    expect((await relay.kill('SIGKILL')).signal).toBe('SIGKILL')

    // Another relay (its own DATA_DIR, where this document does not exist) binds the freed port.
    const squatter = await harness.startRelay({ port: relay.port })
    await expect(relay.restart()).rejects.toThrow(/another process holds port/)
    expect(relay.running).toBe(false)
    expect(relay.output()).toContain('EADDRINUSE')

    await squatter.kill('SIGTERM')
    await relay.restart()
    expect(processListensOn(relay.pid!, relay.port)).toBe(true)
    const fresh = harness.client(relay, docId)
    await waitFor(() => fresh.synced, { timeoutMs: 15_000, message: 'fresh client synced' })
    expect(fresh.text.toString()).toBe(TEXT)
  })
})
