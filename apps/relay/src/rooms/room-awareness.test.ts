import { decodeFrame, parseAwarenessEntries, DEFAULT_LIMITS, type ParsedAwarenessEntry } from '@collab/protocol'
import { beforeEach, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import * as Y from 'yjs'
import { ManualTimers } from '../../test/manual-timers'
import { recordingLogger } from '../../test/recording-logger'
import { Connection } from '../connection/connection'
import { MAX_AWARENESS_INTERVAL_MS, RoomAwareness, awarenessIntervalMs } from './room-awareness'

const fakeSocket = () => ({ readyState: 1, OPEN: 1, CONNECTING: 0, extensions: '', send() {}, close() {} }) as unknown as WebSocket

const entry = (clientId: number, clock: number, state: unknown): ParsedAwarenessEntry => ({
  clientId,
  clock,
  state,
  stateJson: JSON.stringify(state),
})

describe('RoomAwareness', () => {
  let timers: ManualTimers
  let broadcasts: Uint8Array[]
  let room: RoomAwareness
  let alice: Connection
  let bob: Connection

  beforeEach(() => {
    timers = new ManualTimers()
    broadcasts = []
    room = new RoomAwareness(new Y.Doc(), {
      docId: 'doc',
      timers,
      logger: recordingLogger(),
      limits: { maxAwarenessClientsPerConnection: 2, maxAwarenessClockJump: 10_000 },
      flushIntervalMs: 50,
      maxStatesPerSecond: 200,
      broadcast: (frame) => broadcasts.push(frame),
    })
    alice = new Connection(fakeSocket(), 'doc', '127.0.0.1')
    bob = new Connection(fakeSocket(), 'doc', '127.0.0.1')
  })

  const states = () => Object.fromEntries(room.awareness.getStates())
  const broadcastEntries = (frame: Uint8Array) => {
    const decoded = decodeFrame(frame)
    if (decoded.type !== 'awareness') throw new Error(decoded.type)
    return parseAwarenessEntries(decoded.entries, DEFAULT_LIMITS).map((e) => [e.clientId, e.clock, e.state])
  }

  it('a connection owns the client ids it introduces; others are ignored, never applied', () => {
    expect(room.apply(alice, [entry(1, 1, { name: 'A' })])).toBe(0)
    expect(room.apply(bob, [entry(2, 1, { name: 'B' })])).toBe(0)
    // Bob echoes Alice's state (stock clients do) and tries to overwrite it: both ignored.
    expect(room.apply(bob, [entry(1, 1, { name: 'A' }), entry(1, 9, { name: 'hijacked' })])).toBe(2)
    // ...and cannot remove it either.
    expect(room.apply(bob, [entry(1, 10, null)])).toBe(1)
    expect(states()).toEqual({ 1: { name: 'A' }, 2: { name: 'B' } })
    expect([...alice.awarenessClientIds]).toEqual([1])
  })

  it('an echo of a departed client does not bring it back', () => {
    room.apply(alice, [entry(1, 3, { name: 'A' })])
    room.removeConnection(alice)
    expect([...alice.awarenessClientIds]).toEqual([])
    expect(room.apply(bob, [entry(1, 3, { name: 'A' })])).toBe(1)
    expect(states()).toEqual({})
  })

  it('caps the client ids one connection may own', () => {
    expect(room.apply(alice, [entry(1, 1, {}), entry(2, 1, {}), entry(3, 1, {})])).toBe(1)
    expect(Object.keys(states())).toEqual(['1', '2'])
  })

  it('coalesces changes into one broadcast per interval, latest state per client', async () => {
    room.apply(alice, [entry(1, 1, { x: 1 })])
    room.apply(alice, [entry(1, 2, { x: 2 })])
    room.apply(bob, [entry(2, 1, { y: 1 })])
    await timers.advance(0)
    expect(broadcasts).toHaveLength(1)
    expect(broadcastEntries(broadcasts[0]!)).toEqual([
      [1, 2, { x: 2 }],
      [2, 1, { y: 1 }],
    ])
    room.apply(alice, [entry(1, 3, { x: 3 })])
    room.apply(alice, [entry(1, 4, { x: 4 })])
    await timers.advance(49)
    expect(broadcasts).toHaveLength(1)
    await timers.advance(1)
    expect(broadcasts).toHaveLength(2)
    expect(broadcastEntries(broadcasts[1]!)).toEqual([[1, 4, { x: 4 }]])
  })

  it('removing a connection broadcasts its states as left (null)', async () => {
    room.apply(alice, [entry(1, 5, { name: 'A' })])
    await timers.advance(50)
    room.removeConnection(alice)
    await timers.advance(50)
    expect(broadcastEntries(broadcasts.at(-1)!)).toEqual([[1, 5, null]])
    expect(room.encodeAll()).toBeNull()
  })

  it('a large room flushes less often, so each connection gets at most maxStatesPerSecond states', async () => {
    const flushTimes: number[] = []
    const roomOf = (maxStatesPerSecond: number) =>
      new RoomAwareness(new Y.Doc(), {
        docId: 'doc',
        timers,
        logger: recordingLogger(),
        limits: { maxAwarenessClientsPerConnection: 2, maxAwarenessClockJump: 10_000 },
        flushIntervalMs: 50,
        maxStatesPerSecond,
        broadcast: (frame) => {
          broadcasts.push(frame)
          flushTimes.push(timers.now())
        },
      })
    // 4 states at 40 states/s: one flush per 100 ms; everyone moves every 10 ms for a second.
    room = roomOf(40)
    let sentStates = 0
    for (let clock = 1; clock <= 100; clock++) {
      room.apply(alice, [entry(1, clock, { at: clock }), entry(2, clock, { at: clock })])
      room.apply(bob, [entry(3, clock, { at: clock }), entry(4, clock, { at: clock })])
      const before = broadcasts.length
      await timers.advance(10)
      for (const frame of broadcasts.slice(before)) sentStates += broadcastEntries(frame).length
    }
    expect(flushTimes.slice(1).map((at, i) => at - flushTimes[i]!)).toEqual(Array(flushTimes.length - 1).fill(100))
    // The first flush is immediate; then one per 100 ms: 11 flushes of 4 states in a second.
    expect(sentStates).toBe(44)
    // Nothing is lost: the last flush carries everyone's latest state.
    await timers.advance(100)
    expect(broadcastEntries(broadcasts.at(-1)!)).toEqual([1, 2, 3, 4].map((id) => [id, 100, { at: 100 }]))

    // A small room keeps the base interval: 2 states at 40 states/s fit in 50 ms.
    room.destroy()
    broadcasts = []
    room = roomOf(40)
    const carol = new Connection(fakeSocket(), 'doc', '127.0.0.1')
    room.apply(carol, [entry(5, 1, {}), entry(6, 1, {})])
    await timers.advance(0)
    room.apply(carol, [entry(5, 2, {})])
    await timers.advance(49)
    expect(broadcasts).toHaveLength(1)
    await timers.advance(1)
    expect(broadcasts).toHaveLength(2)
  })

  it('awarenessIntervalMs: the base interval for small rooms, growing with the room up to a cap', () => {
    expect(awarenessIntervalMs(0, 50, 200)).toBe(50)
    expect(awarenessIntervalMs(10, 50, 200)).toBe(50)
    expect(awarenessIntervalMs(11, 50, 200)).toBe(55)
    expect(awarenessIntervalMs(50, 50, 200)).toBe(250)
    expect(awarenessIntervalMs(5_000, 50, 200)).toBe(MAX_AWARENESS_INTERVAL_MS)
    // An operator's longer base interval wins over the cap.
    expect(awarenessIntervalMs(5_000, 2_000, 200)).toBe(2_000)
  })

  it('destroy() leaves no timers behind', () => {
    room.apply(alice, [entry(1, 1, {})])
    expect(timers.pending).toBe(1)
    room.destroy()
    expect(timers.pending).toBe(0)
  })
})
