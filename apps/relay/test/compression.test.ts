import { connect, type Socket } from 'node:net'
import { decodeFrame, encodeAwareness, encodeAwarenessEntries, encodeSyncStep1, encodeSyncUpdate } from '@collab/protocol'
import { describe, expect, it } from 'vitest'
import { WebSocket, type ClientOptions } from 'ws'
import * as Y from 'yjs'
import { perMessageDeflateOptions } from '../src/connection/compression'
import { DEFLATE_AT_REQUEST, MIN_CACHED_WHOLE_BYTES } from '../src/rooms/full-state'
import { textOf, useRelayPerTest, waitFor, waitForSync, type StartedRelay, type TestClient } from './helpers'

/** A raw client whose TCP socket is kept, so the test can count the bytes on the wire. */
interface WireClient {
  socket: WebSocket
  tcp: () => Socket
  /** Decoded (decompressed) message bytes received. */
  messageBytes: () => number
  /** Every message received, decoded (decompressed). */
  messages: Buffer[]
}

function openWireClient(url: string, options: ClientOptions): Promise<WireClient> {
  let tcp: Socket | null = null
  let messageBytes = 0
  const messages: Buffer[] = []
  const socket = new WebSocket(url, {
    ...options,
    createConnection: (connectOptions: { port?: number; host?: string }) => {
      tcp = connect({ port: Number(connectOptions.port), host: connectOptions.host ?? '127.0.0.1' })
      return tcp
    },
  } as ClientOptions)
  socket.binaryType = 'nodebuffer'
  socket.on('message', (data: Buffer) => {
    messageBytes += data.byteLength
    messages.push(data)
  })
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.send(encodeSyncStep1(new Uint8Array([0])))
      resolve({
        socket,
        tcp: () => {
          if (tcp === null) throw new Error('no TCP socket was created')
          return tcp
        },
        messageBytes: () => messageBytes,
        messages,
      })
    })
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)))
    socket.once('error', reject)
  })
}

/** A y-prosemirror-like presence state (~230 bytes of JSON). */
function presence(clientId: number, position: number): string {
  const at = (offset: number) => ({ type: { client: 1, clock: 0 }, tname: null, item: { client: 20_000 + clientId, clock: position + offset }, assoc: 0 })
  return JSON.stringify({ user: { name: `User ${clientId}`, color: '#30bced' }, cursor: { anchor: at(0), head: at(1) } })
}

/** ws's permessage-deflate extension object (its internals) on a socket. */
interface DeflateExtension {
  decompress: unknown
  params: Record<string, unknown>
  _options: object
  _inflate?: unknown
}

/** The extension objects of the relay's connections to `docId` that negotiated compression. */
function deflateExtensions(relay: StartedRelay, docId: string): DeflateExtension[] {
  return [...relay.app.relay.connections]
    .filter((c) => c.docId === docId && c.deflate)
    .map((c) => (c.socket as unknown as { _extensions: Record<string, DeflateExtension> })._extensions['permessage-deflate']!)
}

describe('permessage-deflate for awareness (WS_COMPRESSION=awareness, the default)', () => {
  const relays = useRelayPerTest()

  async function wire(docId: string, options: ClientOptions): Promise<WireClient> {
    const client = await openWireClient(`${relays.relay.syncUrl}/${docId}`, options)
    relays.onCleanup(() => client.socket.terminate())
    return client
  }

  it('sends coalesced awareness compressed to sockets that negotiated it, plain to the others', async () => {
    await relays.start({ config: { compression: 'awareness' } })
    const docId = 'deflate-awareness'
    const compressed = await wire(docId, {})
    const plain = await wire(docId, { perMessageDeflate: false })
    expect(compressed.socket.extensions).toContain('permessage-deflate')
    expect(plain.socket.extensions).toBe('')
    const movers = await Promise.all(Array.from({ length: 10 }, () => wire(docId, { perMessageDeflate: false })))

    // Wait for the handshake answers, then count only what the movement causes.
    await waitFor(() => compressed.messageBytes() > 0 && plain.messageBytes() > 0, { message: 'both clients to get their handshake' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = { compressedWire: compressed.tcp().bytesRead, compressedMessages: compressed.messageBytes(), plainWire: plain.tcp().bytesRead, plainMessages: plain.messageBytes() }
    for (let round = 1; round <= 20; round++) {
      movers.forEach((mover, i) => {
        const clientId = 1_000 + i
        mover.socket.send(encodeAwareness(encodeAwarenessEntries([{ clientId, clock: round, stateJson: presence(clientId, round * 3) }])))
      })
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const lastClock = (client: WireClient) => client.messageBytes()
    await waitFor(() => lastClock(compressed) - before.compressedMessages === lastClock(plain) - before.plainMessages && lastClock(plain) > before.plainMessages, {
      message: 'both clients to have received the same awareness',
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    const messages = plain.messageBytes() - before.plainMessages
    expect(compressed.messageBytes() - before.compressedMessages).toBe(messages)
    const plainWire = plain.tcp().bytesRead - before.plainWire
    const compressedWire = compressed.tcp().bytesRead - before.compressedWire
    // The uncompressed socket carries the messages plus frame headers; the compressed one far less.
    expect(plainWire).toBeGreaterThanOrEqual(messages)
    expect(compressedWire).toBeLessThan(plainWire / 3)
  })

  it('a stock provider that negotiated compression decodes every presence', async () => {
    await relays.start({ config: { compression: 'awareness' } })
    const states = Array.from({ length: 6 }, (_, i) => ({ user: { name: `Person ${i}`, color: '#ee6352' }, cursor: { at: i * 17 } }))
    const clients = states.map((state) => relays.client('deflate-provider', { awarenessState: state }))
    await Promise.all(clients.map((client) => waitForSync(client.provider)))
    const namesSeenBy = (client: TestClient) =>
      [...client.provider.awareness.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name).sort().join()
    const expected = states.map((s) => s.user.name).sort().join()
    await waitFor(() => clients.every((client) => namesSeenBy(client) === expected), { message: 'every provider to see all six presences' })
    clients[0]!.provider.awareness.setLocalStateField('cursor', { at: 999 })
    await waitFor(() => clients.every((client) => (client.provider.awareness.getStates().get(clients[0]!.doc.clientID) as { cursor?: { at: number } })?.cursor?.at === 999), {
      message: 'the moved cursor to reach everyone',
    })
  })

  it("Firefox's offer (no client_max_window_bits) is accepted, and what it compresses with a 32 KiB window arrives", async () => {
    const relay = await relays.start()
    // ws then offers a bare `permessage-deflate`, as Firefox does, and compresses with 2^15.
    const writer = await wire('deflate-firefox', { perMessageDeflate: { clientMaxWindowBits: false as unknown as number, threshold: 0 } })
    expect(writer.socket.extensions).toContain('permessage-deflate')
    expect(writer.socket.extensions).not.toContain('client_max_window_bits')
    const reader = relays.client('deflate-firefox')
    const source = new Y.Doc()
    // A paste whose second half repeats its first 20,000 bytes back: only a 2^15 window reaches.
    const half = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(97 + ((i * 7_919) % 26) + ((i >> 5) % 2))).join('')
    source.getText('text').insert(0, half + half)
    writer.socket.send(encodeSyncUpdate(Y.encodeStateAsUpdate(source)))
    await waitFor(() => textOf(reader.doc) === textOf(source), { message: 'the reader to get the upload' })
    const [extension] = deflateExtensions(relay, 'deflate-firefox')
    expect(extension?._inflate ?? null).toBeNull()
  })

  it("a fragmented compressed message goes through ws's stream, which is freed once the message is whole", async () => {
    const relay = await relays.start()
    const writer = await wire('deflate-fragments', { perMessageDeflate: { threshold: 0 } })
    const reader = relays.client('deflate-fragments')
    const source = new Y.Doc()
    source.getText('text').insert(0, 'sent in two fragments '.repeat(50))
    const message = encodeSyncUpdate(Y.encodeStateAsUpdate(source))
    const middle = Math.floor(message.length / 2)
    writer.socket.send(message.subarray(0, middle), { fin: false, compress: true })
    writer.socket.send(message.subarray(middle), { fin: true, compress: true })
    await waitFor(() => textOf(reader.doc) === textOf(source), { message: 'the reader to get the fragmented upload' })
    const [extension] = deflateExtensions(relay, 'deflate-fragments')
    expect(extension?._inflate ?? null).toBeNull()
    // The next (small) message is inflated inline again.
    source.getText('text').insert(0, 'then one more. ')
    writer.socket.send(encodeSyncUpdate(Y.encodeStateAsUpdate(source)))
    await waitFor(() => textOf(reader.doc) === textOf(source), { message: 'the reader to get the next upload' })
  })

  it('updates a client compresses (as browsers do) are applied and relayed', async () => {
    await relays.start({ config: { compression: 'awareness' } })
    const writer = await wire('deflate-updates', { perMessageDeflate: { threshold: 0 } })
    expect(writer.socket.extensions).toContain('permessage-deflate')
    const reader = relays.client('deflate-updates')
    const source = new Y.Doc()
    source.getText('text').insert(0, 'compressed on the way in '.repeat(20))
    writer.socket.send(encodeSyncUpdate(Y.encodeStateAsUpdate(source)))
    await waitFor(() => textOf(reader.doc) === textOf(source), { message: 'the reader to get the compressed upload' })
  })

  it("asks clients to compress each message on its own and inflates them without ws's thread-pool stream", async () => {
    const relay = await relays.start({ config: { compression: 'awareness' } })
    const writer = await wire('deflate-inline', { perMessageDeflate: { threshold: 0 } })
    expect(writer.socket.extensions).toContain('permessage-deflate')
    const reader = relays.client('deflate-inline')
    const source = new Y.Doc()
    for (let i = 0; i < 50; i++) {
      source.getText('text').insert(i, 'k')
      writer.socket.send(encodeSyncUpdate(Y.encodeStateAsUpdate(source)))
    }
    await waitFor(() => textOf(reader.doc) === textOf(source), { message: 'the reader to get every compressed upload' })
    // ws creates its inflate stream on the first message it inflates itself: none was needed.
    const [extension] = deflateExtensions(relay, 'deflate-inline')
    expect(extension?.params['client_no_context_takeover']).toBe(true)
    expect(extension?._inflate ?? null).toBeNull()
  })

  it('costs each socket little: one shared inflater, plain parameters, options ws need not extend', async () => {
    const relay = await relays.start()
    await wire('deflate-memory', {})
    await wire('deflate-memory', {})
    await waitFor(() => deflateExtensions(relay, 'deflate-memory').length === 2, { message: 'both connections' })
    const [first, second] = deflateExtensions(relay, 'deflate-memory') as [DeflateExtension, DeflateExtension]
    expect(first.decompress).toBe(second.decompress)
    expect(Object.getPrototypeOf(first.params)).toBe(Object.prototype)
    // ws copies the options per socket and sets isServer and maxPayload: both must be in what
    // the relay gave ws already, or each copy grows (and V8 gives it hidden classes of its own).
    const given = (relay.app as unknown as { websocketServer: { options: { perMessageDeflate: object } } }).websocketServer.options.perMessageDeflate
    expect(Object.keys(given)).toEqual(Object.keys(first._options))
    expect(given).toEqual(perMessageDeflateOptions(relay.app.relay.config.limits.maxFrameBytes))
  })

  it('a compressed frame that inflates past MAX_FRAME_BYTES is refused with 1009 (decompression bomb)', async () => {
    const relay = await relays.start({ config: { compression: 'awareness' } })
    const maxFrameBytes = relay.app.relay.config.limits.maxFrameBytes
    const bomber = await wire('deflate-bomb', { perMessageDeflate: { threshold: 0 } })
    const closed = new Promise<number>((resolve) => bomber.socket.once('close', (code) => resolve(code)))
    const before = bomber.tcp().bytesWritten
    // A valid update message followed by zeros: a few KiB on the wire, past the limit inflated.
    bomber.socket.send(Buffer.concat([encodeSyncUpdate(new Uint8Array([0, 0])), Buffer.alloc(maxFrameBytes)]))
    expect(await closed).toBe(1009)
    expect(bomber.tcp().bytesWritten - before).toBeLessThan(maxFrameBytes / 50)
    const state = await fetch(`${relay.httpUrl}/api/docs/deflate-bomb`).then((response) => response.json() as Promise<{ logEntries: number }>)
    expect(state.logEntries).toBe(0)
  })

  it('is on by default', async () => {
    await relays.start()
    expect((await wire('deflate-default', {})).socket.extensions).toContain('permessage-deflate')
  })

  it('WS_COMPRESSION=off negotiates nothing', async () => {
    await relays.start({ config: { compression: 'off' } })
    expect((await wire('deflate-off', {})).socket.extensions).toBe('')
  })
})

describe('permessage-deflate for large whole-document answers (WS_COMPRESSION=all)', () => {
  const relays = useRelayPerTest()

  /** A joiner (empty state vector) and the sync step 2 it got: the document it carries, and the TCP bytes until then. */
  async function join(docId: string, options: ClientOptions): Promise<{ text: string; messageBytes: number; wireBytes: number }> {
    const client = await openWireClient(`${relays.relay.syncUrl}/${docId}`, options)
    relays.onCleanup(() => client.socket.terminate())
    const step2 = await waitFor(() => client.messages.find((message) => message[0] === 0 && message[1] === 1), { message: 'the sync step 2' })
    const decoded = decodeFrame(new Uint8Array(step2))
    if (decoded.type !== 'sync-step2') throw new Error(`expected sync step 2, got ${decoded.type}`)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, decoded.update)
    return { text: textOf(doc), messageBytes: client.messageBytes(), wireBytes: client.tcp().bytesRead }
  }

  it('sends the whole document compressed to joiners that negotiated it once several asked for one version, plain to the others', async () => {
    await relays.start({ config: { compression: 'all' } })
    const docId = 'deflate-whole'
    const text = 'A paragraph of prose that compresses as prose does. '.repeat(Math.ceil((2 * MIN_CACHED_WHOLE_BYTES) / 50))
    const writer = relays.client(docId)
    await waitForSync(writer.provider)
    writer.doc.getText('text').insert(0, text)
    await waitFor(() => relays.relay.app.relay.rooms.get(docId)?.doc.getText('text').length === text.length, { message: 'the relay to have the text' })
    const first = await join(docId, {})
    expect(first.text).toBe(text)
    // The first requests of a version go plain (their TCP bytes hold the whole message).
    expect(first.wireBytes).toBeGreaterThan(first.messageBytes)
    for (let request = 2; request <= DEFLATE_AT_REQUEST; request++) expect((await join(docId, {})).text).toBe(text)
    // Compressing runs on zlib's thread pool; joiners meanwhile still get the plain answer.
    const compressed = await waitFor(async () => {
      const joined = await join(docId, {})
      expect(joined.text).toBe(text)
      return joined.wireBytes < joined.messageBytes / 2 ? joined : null
    }, { message: 'a joiner to get the whole document compressed' })
    expect(compressed.text).toBe(text)
    const plain = await join(docId, { perMessageDeflate: false })
    expect(plain.text).toBe(text)
    expect(plain.wireBytes).toBeGreaterThan(plain.messageBytes)
  })

  it('compresses a newer version again once the document changed', async () => {
    await relays.start({ config: { compression: 'all' } })
    const docId = 'deflate-whole-changed'
    const writer = relays.client(docId)
    await waitForSync(writer.provider)
    const text = writer.doc.getText('text')
    text.insert(0, 'Prose, again and again. '.repeat(Math.ceil((2 * MIN_CACHED_WHOLE_BYTES) / 24)))
    const compressedJoin = () =>
      waitFor(async () => {
        const joined = await join(docId, {})
        return joined.text === text.toString() && joined.wireBytes < joined.messageBytes / 2 ? joined : null
      }, { message: 'a joiner to get the current version compressed' })
    await compressedJoin()
    text.insert(0, 'A new first sentence. ')
    await waitFor(() => relays.relay.app.relay.rooms.get(docId)?.doc.getText('text').toString() === text.toString(), { message: 'the relay to have the edit' })
    const after = await compressedJoin()
    expect(after.text.startsWith('A new first sentence. ')).toBe(true)
  })

  it('sends every whole-document answer plain with WS_COMPRESSION=awareness (the default)', async () => {
    await relays.start()
    const docId = 'deflate-whole-default'
    const writer = relays.client(docId)
    await waitForSync(writer.provider)
    const text = 'Prose, once more. '.repeat(Math.ceil((2 * MIN_CACHED_WHOLE_BYTES) / 18))
    writer.doc.getText('text').insert(0, text)
    await waitFor(() => relays.relay.app.relay.rooms.get(docId)?.doc.getText('text').length === text.length, { message: 'the relay to have the text' })
    for (let request = 1; request <= DEFLATE_AT_REQUEST + 1; request++) await join(docId, {})
    // Time enough for a compression to finish, had one started.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const joined = await join(docId, {})
    expect(joined.text).toBe(text)
    expect(joined.wireBytes).toBeGreaterThan(joined.messageBytes)
  })
})
