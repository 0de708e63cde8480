import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ManualTimers } from '../../test/manual-timers'
import { AntiEntropy, deleteSetDigest } from './anti-entropy'
import type { ClusterMessage } from './wire'

const silent = { warn: () => {}, info: () => {}, debug: () => {} } as unknown as FastifyBaseLogger

interface Peer {
  id: string
  doc: Y.Doc
  engine: AntiEntropy
}

/** Peers whose messages are delivered synchronously to every other peer, recorded in `sent`. */
function network(ids: string[], jitter: Record<string, number> = {}) {
  const timers = new ManualTimers()
  const sent: ClusterMessage[] = []
  const peers: Peer[] = []
  const deliver = (message: ClusterMessage) => {
    sent.push(message)
    for (const peer of peers) {
      if (peer.id === message.origin) continue
      if (message.kind === 'state') peer.engine.onState(message.origin, message.stateVector, message.digest, message.hello)
      if (message.kind === 'diff') {
        Y.applyUpdate(peer.doc, message.update, 'remote')
        peer.engine.onDiff(message.origin, message.target, message.update)
      }
    }
  }
  for (const id of ids) {
    const doc = new Y.Doc()
    const engine = new AntiEntropy({
      docId: 'doc',
      doc,
      relayId: id,
      timers,
      random: () => jitter[id] ?? 0.5,
      logger: silent,
      intervalMs: 1_000,
      maxDiffBytes: 1 << 20,
      isReady: () => true,
      publish: deliver,
    })
    peers.push({ id, doc, engine })
  }
  return { timers, sent, peers }
}

describe('AntiEntropy', () => {
  it('a peer that lacks structs gets exactly the missing ones from one relay, not from every relay', async () => {
    // a answers quickly, c slowly: c sees a's DIFF to b first and stays quiet.
    const { timers, sent, peers } = network(['a', 'b', 'c'], { a: 0, c: 0.99 })
    const [a, b, c] = peers as [Peer, Peer, Peer]
    a.doc.getText('t').insert(0, 'shared')
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(a.doc))
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)))
    a.doc.getText('t').insert(6, ' and more')
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(c.doc)))

    b.engine.announce(false)
    await timers.advance(100)

    const diffs = sent.filter((message) => message.kind === 'diff')
    expect(diffs.map((message) => [message.origin, message.kind === 'diff' && message.target])).toEqual([['a', 'b']])
    expect(b.doc.getText('t').toString()).toBe('shared and more')
    const [diff] = diffs
    // Only what b lacked: the structs after its state vector.
    if (diff?.kind === 'diff') expect(Y.decodeUpdate(diff.update).structs.every((struct) => struct.id.clock >= 6)).toBe(true)
    for (const peer of peers) peer.engine.stop()
  })

  it('a peer that is ahead is pulled: the lagging relay answers its STATE with its own', async () => {
    const { timers, sent, peers } = network(['a', 'b'])
    const [a, b] = peers as [Peer, Peer]
    a.doc.getText('t').insert(0, 'only on a')
    a.engine.announce(false)
    await timers.advance(600)
    expect(sent.map((message) => `${message.origin}:${message.kind}`)).toEqual(['a:state', 'b:state', 'a:diff'])
    expect(b.doc.getText('t').toString()).toBe('only on a')
    for (const peer of peers) peer.engine.stop()
  })

  it('equal documents exchange nothing but their STATEs', async () => {
    const { timers, sent, peers } = network(['a', 'b'])
    const [a, b] = peers as [Peer, Peer]
    a.doc.getText('t').insert(0, 'same')
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    a.engine.start()
    b.engine.start()
    await timers.advance(5_000)
    expect(sent.filter((message) => message.kind === 'diff')).toEqual([])
    expect(sent.filter((message) => message.kind === 'state').length).toBeGreaterThan(4)
    for (const peer of peers) peer.engine.stop()
  })
})

describe('deleteSetDigest', () => {
  it('is equal for replicas that received the same changes in different batches, and differs after a deletion', () => {
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (update: Uint8Array) => updates.push(update))
    const text = source.getText('t')
    for (let i = 0; i < 40; i++) text.insert(Math.floor(i / 2), `x${i}`)
    text.delete(3, 10)
    text.delete(0, 2)

    const oneByOne = new Y.Doc()
    for (const update of updates) Y.applyUpdate(oneByOne, update)
    const merged = new Y.Doc()
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(source))
    expect(deleteSetDigest(oneByOne)).toEqual(deleteSetDigest(source))
    expect(deleteSetDigest(merged)).toEqual(deleteSetDigest(source))

    const before = deleteSetDigest(merged)
    merged.getText('t').delete(0, 1)
    expect(deleteSetDigest(merged)).not.toEqual(before)
  })
})
