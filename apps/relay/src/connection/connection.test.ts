import type { Socket } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import type { WebSocket } from 'ws'
import { Connection } from './connection'

/** What the test sees of the TCP socket: cork depth and the writes that left it. */
class FakeTcp {
  corks = 0
  depth = 0
  /** Bytes written while corked (Node buffers them until the last uncork). */
  writableLength = 0
  /** Each flush: the frames that left together in one write. */
  flushes: number[][] = []
  destroyed = false
  /** What arrived from the peer (Node's `bytesRead`). */
  bytesRead = 0
  private pending: number[] = []

  cork(): void {
    this.corks++
    this.depth++
  }

  uncork(): void {
    this.depth--
    if (this.depth === 0) this.flush()
  }

  write(bytes: number): void {
    this.pending.push(bytes)
    if (this.depth > 0) this.writableLength += bytes
    else this.flush()
  }

  private flush(): void {
    if (this.pending.length > 0) this.flushes.push(this.pending)
    this.pending = []
    this.writableLength = 0
  }
}

function connectionOver(tcp: FakeTcp): Connection {
  const socket = {
    readyState: 1,
    OPEN: 1,
    CONNECTING: 0,
    extensions: '',
    get bufferedAmount() {
      return tcp.writableLength
    },
    send(frame: Uint8Array) {
      tcp.write(frame.byteLength)
    },
  }
  return new Connection(socket as unknown as WebSocket, 'doc', '127.0.0.1', {
    tcp: tcp as unknown as Socket,
    sendBuffer: { softLimitBytes: 1_000, hardLimitBytes: 1_000_000, maxBehindMs: 60_000 },
  })
}

const tick = () => new Promise((resolve) => process.nextTick(resolve))

describe('Connection writes', () => {
  it('the first frame of a tick leaves at once; the ones after it leave together at the end of the tick', async () => {
    const tcp = new FakeTcp()
    const connection = connectionOver(tcp)
    connection.sendDroppable(new Uint8Array(30))
    expect(tcp.flushes).toEqual([[30]])
    connection.sendDroppable(new Uint8Array(40))
    connection.send(new Uint8Array(50))
    expect(tcp.flushes).toEqual([[30]])
    expect(tcp.corks).toBe(1)
    await tick()
    expect(tcp.flushes).toEqual([[30], [40, 50]])
    connection.sendDroppable(new Uint8Array(60))
    expect(tcp.flushes).toEqual([[30], [40, 50], [60]])
    await tick()
    expect(tcp.corks).toBe(1)
  })

  it('what waits for the end of the tick does not count as "behind"', async () => {
    const tcp = new FakeTcp()
    const connection = connectionOver(tcp)
    // 2,000 bytes in one tick, past the 1,000-byte soft limit: all of it is still deliverable.
    for (let i = 0; i < 20; i++) expect(connection.sendDroppable(new Uint8Array(100))).toBe(true)
    expect(connection.behind).toBe(false)
    expect(tcp.writableLength).toBe(1_900)
    expect(connection.bufferedBytes).toBe(0)
    await tick()
    expect(tcp.flushes.map((frames) => frames.length)).toEqual([1, 19])
  })

  it('connections writing in one tick share one end-of-tick callback, and each sends its next tick anew', async () => {
    const tcps = [new FakeTcp(), new FakeTcp(), new FakeTcp()]
    const connections = tcps.map(connectionOver)
    const nextTick = vi.spyOn(process, 'nextTick')
    try {
      for (const connection of connections) connection.sendDroppable(new Uint8Array(10))
      for (const connection of connections) connection.sendDroppable(new Uint8Array(20))
      expect(nextTick).toHaveBeenCalledTimes(1)
    } finally {
      nextTick.mockRestore()
    }
    expect(tcps.map((tcp) => tcp.flushes)).toEqual([[[10]], [[10]], [[10]]])
    await tick()
    expect(tcps.map((tcp) => tcp.flushes)).toEqual([[[10], [20]], [[10], [20]], [[10], [20]]])
    connections[1]!.sendDroppable(new Uint8Array(30))
    expect(tcps[1]!.flushes).toEqual([[10], [20], [30]])
  })

  it('a large frame flushes what waits and goes at once (backpressure sees it)', async () => {
    const tcp = new FakeTcp()
    const connection = connectionOver(tcp)
    connection.sendDroppable(new Uint8Array(10))
    connection.sendDroppable(new Uint8Array(20_000))
    expect(tcp.flushes).toEqual([[10], [20_000]])
    await tick()
    expect(tcp.flushes).toEqual([[10], [20_000]])
  })
})

describe('Connection heartbeat', () => {
  it('is heard from when anything arrived since the previous beat, and at the first beat', () => {
    const tcp = new FakeTcp()
    const connection = connectionOver(tcp)
    tcp.bytesRead = 230 // the upgrade request
    expect(connection.heardFromSinceLastBeat()).toBe(true)
    expect(connection.heardFromSinceLastBeat()).toBe(false)
    tcp.bytesRead += 6 // a pong
    expect(connection.heardFromSinceLastBeat()).toBe(true)
    tcp.bytesRead += 40 // a message, no pong
    expect(connection.heardFromSinceLastBeat()).toBe(true)
    expect(connection.heardFromSinceLastBeat()).toBe(false)
  })
})
