// Cases 4, 6, 7, 9, 21: updates that decode but must not be applied (corrupt delete sets,
// missing dependencies, conflict bombs), floods of sync step 1, and a document grown past its
// limit. Nothing from a refused update is applied, stored or broadcast.
import { CloseCode, encodeSyncStep1, encodeSyncUpdate } from '@collab/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { loadStoredDoc, openRawClient, removeDir, startRelay, textOf, waitFor, type StartedRelay } from '../helpers'
import { MeasurementLog, conflictBomb, craftUpdate, expectAlive, HonestPair, roomDoc, roomHash, runCase } from './support'

const log = new MeasurementLog('updates')
const MAX_PENDING_UPDATES = 50
const MAX_DOCUMENT_BYTES = 256 * 1024

/** Sends every frame on one raw socket and resolves with its close code. */
async function sendAll(relay: StartedRelay, docId: string, frames: readonly Uint8Array[]): Promise<number> {
  const attacker = await openRawClient(relay.syncUrl, docId)
  for (const frame of frames) attacker.send(frame)
  return (await attacker.closed).code
}

/** Seeded PRNG (mulberry32) for client ids and clocks. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

describe('hostile updates', () => {
  let relay: StartedRelay

  beforeAll(async () => {
    relay = await startRelay({
      config: { limits: { maxPendingUpdates: MAX_PENDING_UPDATES, maxDocumentBytes: MAX_DOCUMENT_BYTES } },
    })
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('case 4: valid structs with a corrupt delete set close with 4422 and none of the structs are applied', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 4,
      title: 'valid structs, corrupt delete set',
      docId: 'case-4',
      async attack() {
        const structs = [{ client: 777, clock: 0, items: [{ parentKey: 'text', text: 'INJECTED' }] }]
        const truncated = craftUpdate(structs, [{ client: 777, clock: 0, len: 3 }]).slice(0, -1)
        const emptyRange = craftUpdate(structs, [{ client: 777, clock: 50, len: 0 }])
        const futureReference = craftUpdate([
          { client: 778, clock: 0, items: [{ parentKey: 'text', text: 'A' }, { origin: [778, 9], text: 'B' }] },
        ])
        // What Yjs alone would do with the empty range: integrate the structs, then throw.
        const bare = new Y.Doc()
        expect(() => Y.applyUpdate(bare, emptyRange)).toThrow()
        expect(bare.getText('text').toString()).toBe('INJECTED')

        const codes = await Promise.all(
          [truncated, emptyRange, futureReference].map((update) => sendAll(relay, 'case-4', [encodeSyncUpdate(update)])),
        )
        expect(codes).toEqual([CloseCode.InvalidUpdate, CloseCode.InvalidUpdate, CloseCode.InvalidUpdate])
        expect(textOf(roomDoc(relay, 'case-4'))).not.toContain('INJECTED')
        return '3 sockets closed with 4422; nothing integrated'
      },
    })
  })

  it('case 6: updates with missing dependencies from random client ids are held outside the document, then refused with 4422', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 6,
      title: 'missing dependencies from random client ids',
      docId: 'case-6',
      async attack(pair) {
        const random = seeded(6)
        const clients: number[] = []
        const frames = Array.from({ length: MAX_PENDING_UPDATES + 10 }, () => {
          const client = 1 + Math.floor(random() * 2 ** 31)
          clients.push(client)
          // Starts at clock 100: clocks 0–99 of this client were never sent.
          return encodeSyncUpdate(craftUpdate([{ client, clock: 100, items: [{ parentKey: 'text', text: 'ghost' }] }]))
        })
        expect(await sendAll(relay, 'case-6', frames)).toBe(CloseCode.InvalidUpdate)
        const doc = roomDoc(relay, 'case-6')
        expect(doc.store.pendingStructs).toBeNull()
        expect(doc.store.pendingDs).toBeNull()
        const known = Y.decodeStateVector(Y.encodeStateVector(doc))
        for (const client of clients) expect(known.has(client)).toBe(false)
        // Nothing of it reached an honest client either (a peer would have kept it pending).
        expect(pair.a.doc.store.pendingStructs).toBeNull()
        return `${MAX_PENDING_UPDATES} held (never in the document), the next one refused with 4422`
      },
    })
    const stored = await loadStoredDoc(relay.store, 'case-6')
    expect(stored.store.pendingStructs).toBeNull()
  })

  it('an update that overtook its dependency waits and is applied once the dependency arrives (honest reordering)', async () => {
    const pair = await HonestPair.connect(relay.syncUrl, 'reordered')
    try {
      const writer = new Y.Doc()
      writer.clientID = 4242
      writer.getText('text').insert(0, 'first ')
      const first = Y.encodeStateAsUpdate(writer)
      const before = Y.encodeStateVector(writer)
      writer.getText('text').insert(6, 'second')
      const second = Y.encodeStateAsUpdate(writer, before)
      const raw = await openRawClient(relay.syncUrl, 'reordered')
      raw.send(encodeSyncUpdate(second))
      raw.send(encodeSyncUpdate(first))
      await waitFor(() => textOf(pair.a.doc).includes('first second'), { message: 'both updates to arrive, in order' })
      expect(raw.socket.readyState).toBe(raw.socket.OPEN)
      expect(roomDoc(relay, 'reordered').store.pendingStructs).toBeNull()
      raw.socket.close()
    } finally {
      pair.destroy()
    }
  })

  it('case 7: conflict bombs (many client ids on one map key) close with 4422 before they can block the event loop', async () => {
    const docId = 'case-7'
    const pair = await HonestPair.connect(relay.syncUrl, docId)
    try {
      // Built before the measurement: only the relay's work (and the sockets') is measured.
      const bigBomb = encodeSyncUpdate(conflictBomb(1_000_000, 20_000))
      const rounds = Array.from({ length: 20 }, (_, round) => encodeSyncUpdate(conflictBomb(2_000_000 + round * 1_000, 1_000)))
      await log.measure(7, 'conflict bomb (many client ids, one key)', async () => {
        // One update with 20,000 client ids: over maxUpdateClientIds.
        expect(await sendAll(relay, docId, [bigBomb])).toBe(CloseCode.InvalidUpdate)
        // Rounds of 1,000 ids each (under that limit) on the same key: each round costs more,
        // quadratically; the round whose conflict resolution would pass maxConflictScanSteps is refused.
        const attacker = await openRawClient(relay.syncUrl, docId)
        attacker.send(rounds[0]!)
        await waitFor(() => roomDoc(relay, docId).getMap('bomb').has('k'), { message: 'the first round to be applied' })
        const afterAccepted = roomHash(relay, docId)
        let round = 1
        let refusedAt: number | null = null
        let isClosed = false
        const closed = attacker.closed.then(() => {
          isClosed = true
          return 'closed' as const
        })
        for (; round < 20 && refusedAt === null; round++) {
          const firstClient = 2_000_000 + round * 1_000
          attacker.send(rounds[round]!)
          const applied = waitFor(() => isClosed || Y.getState(roomDoc(relay, docId).store, firstClient) > 0, {
            timeoutMs: 30_000,
            message: `round ${round} to be applied or refused`,
          }).then(() => 'applied' as const)
          if ((await Promise.race([closed, applied])) === 'closed') refusedAt = round
        }
        expect((await attacker.closed).code).toBe(CloseCode.InvalidUpdate)
        expect(refusedAt).toBe(1) // the second round already
        expect(roomHash(relay, docId)).toBe(afterAccepted)
        return `20,000 ids: 4422; rounds of 1,000 ids on one key: round 1 accepted, round 2 refused with 4422 (maxConflictScanSteps)`
      }, (outcome) => outcome)
      await expectAlive(relay)
      await pair.keepsSyncing('after case 7')
    } finally {
      pair.destroy()
    }
  })

  it('case 9: a sync step 1 flood closes with 4529 (rate limit)', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 9,
      title: 'sync step 1 flood',
      docId: 'case-9',
      async attack() {
        const step1 = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))
        expect(await sendAll(relay, 'case-9', Array.from({ length: 6_000 }, () => step1))).toBe(CloseCode.RateLimited)
        return '6,000 step 1 frames: closed with 4529 after the burst'
      },
    })
  })

  it('case 21: growing the document past MAX_DOCUMENT_BYTES closes with 4414; what was accepted stays, honest edits still pass', async () => {
    const docId = 'case-21'
    const pair = await HonestPair.connect(relay.syncUrl, docId)
    try {
      await log.measure(21, 'oversized document growth', async () => {
        const attackerDoc = new Y.Doc()
        const attacker = await openRawClient(relay.syncUrl, docId)
        let sent = 0
        let acceptedHash = roomHash(relay, docId)
        while (attacker.socket.readyState === attacker.socket.OPEN && sent < 20) {
          const before = Y.encodeStateVector(attackerDoc)
          attackerDoc.getText('bulk').insert(0, 'y'.repeat(60 * 1024))
          attacker.send(encodeSyncUpdate(Y.encodeStateAsUpdate(attackerDoc, before)))
          sent++
          const expected = sent * 60 * 1024
          await Promise.race([
            attacker.closed,
            waitFor(() => roomDoc(relay, docId).getText('bulk').length === expected, { message: `chunk ${sent} applied` }),
          ])
          if (attacker.socket.readyState === attacker.socket.OPEN) acceptedHash = roomHash(relay, docId)
        }
        expect((await attacker.closed).code).toBe(CloseCode.DocumentTooLarge)
        expect(roomHash(relay, docId)).toBe(acceptedHash)
        const bulk = roomDoc(relay, docId).getText('bulk').length
        expect(bulk).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES)
        return `${sent - 1} chunks of 60 KiB accepted (${bulk} chars), chunk ${sent} refused with 4414`
      }, (outcome) => outcome)
      await expectAlive(relay)
      await pair.keepsSyncing('after case 21')
    } finally {
      pair.destroy()
    }
  })
})
