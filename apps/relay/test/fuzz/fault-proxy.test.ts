// The proxy itself: whatever it injects, the bytes that do arrive arrive complete and in order;
// resets really cut both sides; heal() releases what a stall holds.
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../process/wait'
import { FaultProxy, type FaultProfile } from './fault-proxy'
import { Random } from './random'

const QUIET: FaultProfile = {
  latencyProbability: 0,
  maxLatencyMs: 1,
  slowLinkProbability: 0,
  maxSlowLinkLatencyMs: 1,
  splitProbability: 0,
  stallProbabilityPerChunk: 0,
  maxStallMs: 1,
  resetProbability: 0,
  maxResetAfterMs: 1,
  maxResetAfterBytes: 1,
}

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** A TCP echo server on a free port. */
async function echoServer(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('echo server has no port')
  return address.port
}

async function startProxy(profile: FaultProfile, seed: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ targetPort: await echoServer(), random: new Random(seed), profile })
  cleanup.push(() => proxy.close())
  return proxy
}

async function connect(port: number): Promise<{ socket: net.Socket; received: () => Buffer }> {
  const socket = net.connect({ port, host: '127.0.0.1' })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  cleanup.push(() => void socket.destroy())
  return { socket, received: () => Buffer.concat(chunks) }
}

describe('FaultProxy', () => {
  it('delivers every byte in order through delays, jitter and split writes', { timeout: 30_000 }, async () => {
    const proxy = await startProxy({ ...QUIET, latencyProbability: 1, maxLatencyMs: 15, splitProbability: 1 }, 3)
    const { socket, received } = await connect(proxy.port)
    const payload = Buffer.from(Array.from({ length: 60_000 }, (_, i) => (i * 7919) % 251))
    for (let offset = 0; offset < payload.length; offset += 1_500) socket.write(payload.subarray(offset, offset + 1_500))
    await waitFor(() => received().length >= payload.length, { timeoutMs: 20_000, message: 'all bytes echoed' })
    expect(received().equals(payload)).toBe(true)
    expect(proxy.counts.splitChunks).toBeGreaterThan(0)
    expect(proxy.counts.delayedConnections).toBe(1)
  })

  it('resets both sides of every connection on demand', async () => {
    const proxy = await startProxy(QUIET, 4)
    const { socket } = await connect(proxy.port)
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await waitFor(() => proxy.openConnections === 1, { timeoutMs: 5_000, message: 'proxy saw the connection' })
    proxy.resetAll('rst')
    await closed
    expect(proxy.counts.resets).toBe(1)
    expect(proxy.openConnections).toBe(0)
  })

  it('holds bytes during a stall and releases them when healed', async () => {
    const proxy = await startProxy(QUIET, 5)
    const { socket, received } = await connect(proxy.port)
    await waitFor(() => proxy.openConnections === 1, { timeoutMs: 5_000, message: 'proxy saw the connection' })
    proxy.stallAll(60_000)
    socket.write('held back')
    // A round trip through an unstalled proxy takes well under this; nothing may come back.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(received().length).toBe(0)
    proxy.heal()
    await waitFor(() => received().toString() === 'held back', { timeoutMs: 5_000, message: 'stalled bytes after heal' })
  })

  it('drops client connections while nothing listens upstream, and counts them', async () => {
    const listener = net.createServer()
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const address = listener.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    await new Promise<void>((resolve) => listener.close(() => resolve()))
    const proxy = await FaultProxy.start({ targetPort: address.port, random: new Random(6), profile: QUIET })
    cleanup.push(() => proxy.close())
    const { socket } = await connect(proxy.port)
    await new Promise<void>((resolve) => socket.once('close', () => resolve()))
    expect(proxy.counts.refused).toBe(1)
  })
})
