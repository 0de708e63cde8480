// A crash-recovery race, pinned deterministically (a random fuzz seed hits its window rarely).
// After a SIGKILL the relay has lost its last group-commit window. Reconnecting client B types
// before its sync step 2 went out; its live update depends on the lost content. Client A's sync
// step 2 then supplies that content. A relay that let Yjs keep B's update pending integrated it
// inside A's transaction and fanned the result out to everyone *except A*, so A never got B's
// edit (until it happened to reconnect): a divergence, for inserts and for deletions alike.
// Fixed in the relay by holding such updates outside the document and applying them with their
// own sender as origin (rooms/update-gate.ts); this test guards that.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RelayProcess } from '../process/relay-process'
import { storedStats } from '../process/stored-docs'
import { waitFor } from '../process/wait'
import { RawClient } from './raw-client'
import { SimClient } from './sim-client'

const TEXT = 'text'
let cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const step of cleanup.reverse()) await step()
  cleanup = []
})

/** Two synced replicas holding `hello` (typed by B) that the relay never stored. */
async function lostHello(relay: RelayProcess, docId: string): Promise<{ aDoc: Y.Doc; bDoc: Y.Doc }> {
  const a = new SimClient({ label: 'a', serverUrl: relay.syncUrl, docId })
  const b = new SimClient({ label: 'b', serverUrl: relay.syncUrl, docId })
  try {
    await waitFor(() => a.synced && b.synced, { timeoutMs: 10_000, message: 'both clients synced' })
    b.text.insert(0, 'hello')
    await waitFor(() => a.text.toString() === 'hello', { timeoutMs: 10_000, message: 'A received hello' })
    const aDoc = new Y.Doc()
    const bDoc = new Y.Doc()
    Y.applyUpdate(aDoc, Y.encodeStateAsUpdate(a.doc))
    Y.applyUpdate(bDoc, Y.encodeStateAsUpdate(b.doc))
    return { aDoc, bDoc }
  } finally {
    a.destroy()
    b.destroy()
  }
}

describe('an update pending on a dependency lost in a relay crash', () => {
  for (const variant of ['insert', 'delete'] as const) {
    it(`reaches the client whose sync step 2 supplied the dependency (${variant})`, { timeout: 60_000 }, async () => {
      // A group-commit window far longer than the test: nothing is stored before the kill.
      const relay = await RelayProcess.start({ env: { LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '600000', FLUSH_MAX_BATCH_BYTES: '1000000000' } })
      cleanup.push(() => relay.dispose())
      const docId = `pending-fanout-${variant}`
      const { aDoc, bDoc } = await lostHello(relay, docId)
      await relay.kill('SIGKILL')
      expect((await storedStats(relay.dataDir, docId)).logEntries, 'hello was lost with the relay').toBe(0)
      await relay.restart()

      // An observer that is online throughout: it shows when the relay has integrated things.
      const observer = new SimClient({ label: 'observer', serverUrl: relay.syncUrl, docId })
      cleanup.push(() => void observer.destroy())
      await waitFor(() => observer.synced, { timeoutMs: 10_000, message: 'observer synced' })
      // A reconnects; its step 1 is answered at once; its step 2 is still on the way (slow link).
      // (No barrier on A: any step 1 it sent would be answered with the missing edit.)
      const a = await RawClient.connect(`${relay.syncUrl}/${docId}`, aDoc)
      cleanup.push(() => a.close())
      await a.relayStep1()
      // B reconnects and edits at once: the update reaches the relay before B's step 2.
      const b = await RawClient.connect(`${relay.syncUrl}/${docId}`, bDoc)
      cleanup.push(() => b.close())
      await b.relayStep1()
      b.edit((doc) => {
        if (variant === 'insert') doc.getText(TEXT).insert(5, ' world')
        else doc.getText(TEXT).delete(0, 2)
      })
      await b.barrier()
      // A's step 2 brings back `hello`; B's pending edit integrates with it.
      a.sendStep2()
      const expected = variant === 'insert' ? 'hello world' : 'llo'
      await waitFor(() => observer.text.toString() === expected, { timeoutMs: 10_000, message: `observer sees ${expected}` })

      // Sent in the same broadcast as the observer's copy; a deadline, not a sleep, for A's.
      let aText = ''
      await waitFor(() => (aText = aDoc.getText(TEXT).toString()) === expected, {
        timeoutMs: 3_000,
        message: () => `A (whose step 2 released B's pending ${variant}) to get it: A has ${JSON.stringify(aText)}, relay and B have ${JSON.stringify(expected)}`,
      })
      b.sendStep2()
      await b.barrier()
      expect(bDoc.getText(TEXT).toString()).toBe(expected)
      expect(Y.encodeStateVector(aDoc)).toEqual(Y.encodeStateVector(bDoc))
    })
  }
})
