// Graceful restarts and refusals, observed from outside the relay process.
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { storedDocIds, storedStats } from './stored-docs'
import { httpGet, processHarness, uniqueDocId, waitFor, type StockClient } from './support'

function stateVectorsEqual(a: Y.Doc, b: Y.Doc): boolean {
  return Buffer.from(Y.encodeStateVector(a)).equals(Buffer.from(Y.encodeStateVector(b)))
}

async function waitSynced(clients: StockClient[], what: string): Promise<void> {
  await waitFor(() => clients.every((c) => c.synced), { timeoutMs: 15_000, message: `${what} synced` })
}

describe('relay restarts', () => {
  it('keeps a document (text, map and XML content) across a SIGTERM restart', { timeout: 60_000 }, async (context) => {
    const harness = processHarness(context)
    const relay = await harness.startRelay()
    const docId = uniqueDocId('survive')
    const writer = harness.client(relay, docId)
    const observer = harness.client(relay, docId)
    await waitSynced([writer, observer], 'writer and observer')

    for (let i = 0; i < 200; i++) writer.text.insert(writer.text.length, `line ${i}\n`)
    writer.text.delete(0, 70)
    writer.doc.getMap('meta').set('title', 'Restart test')
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText('rich text survives')])
    writer.doc.getXmlFragment('prosemirror').insert(0, [paragraph])
    const expectedText = writer.text.toString()
    const expectedXml = writer.doc.getXmlFragment('prosemirror').toString()
    await waitFor(() => stateVectorsEqual(writer.doc, observer.doc), { timeoutMs: 15_000, message: 'observer has every edit' })

    writer.destroy()
    observer.destroy()
    expect(await relay.kill('SIGTERM')).toEqual({ code: 0, signal: null })
    await relay.restart()

    const fresh = harness.client(relay, docId)
    await waitSynced([fresh], 'fresh client')
    expect(fresh.text.toString()).toBe(expectedText)
    expect(fresh.doc.getMap('meta').get('title')).toBe('Restart test')
    expect(fresh.doc.getXmlFragment('prosemirror').toString()).toBe(expectedXml)
  })

  it('flushes writes still pending at SIGTERM, closes sockets with 1012, and clients reconnect', { timeout: 60_000 }, async (context) => {
    const harness = processHarness(context)
    // A group-commit window longer than the test: whatever the relay received is still only in
    // memory when SIGTERM arrives, so only the shutdown flush can save it.
    const relay = await harness.startRelay({ env: { FLUSH_INTERVAL_MS: '600000' } })
    const docId = uniqueDocId('pending')
    const writer = harness.client(relay, docId)
    const observer = harness.client(relay, docId)
    // On another doc, so its reconnect cannot feed the first doc back to the relay.
    const bystanderDocId = uniqueDocId('bystander')
    const bystander = harness.client(relay, bystanderDocId)
    const bystanderPeer = harness.client(relay, bystanderDocId)
    await waitSynced([writer, observer, bystander, bystanderPeer], 'all clients')

    for (let i = 0; i < 500; i++) writer.text.insert(writer.text.length, `w${i} `)
    const expected = writer.text.toString()
    // The relay has applied everything once the observer has it.
    await waitFor(() => observer.text.length === expected.length, {
      timeoutMs: 15_000,
      intervalMs: 1,
      message: () => `observer receives ${expected.length} chars (has ${observer.text.length})`,
    })
    expect(observer.text.toString()).toBe(expected)
    const beforeShutdown = await storedStats(relay.dataDir, docId)
    expect(beforeShutdown.logEntries + beforeShutdown.snapshotBytes, 'nothing stored before SIGTERM').toBe(0)
    expect(await relay.kill('SIGTERM')).toEqual({ code: 0, signal: null })

    for (const [name, client] of Object.entries({ writer, observer, bystander, bystanderPeer })) {
      await waitFor(() => client.closeCodes.length > 0, { timeoutMs: 5_000, message: `${name} sees its socket close` })
      expect(client.closeCodes[0], `${name}'s first close code`).toBe(1012)
    }
    // Nothing but storage may carry the pending writes across the restart.
    writer.destroy()
    observer.destroy()
    await relay.restart()

    const fresh = harness.client(relay, docId)
    await waitSynced([fresh], 'fresh client')
    expect(fresh.text.toString()).toBe(expected)

    // The stock clients came back by themselves and sync again through the new process.
    await waitFor(() => bystander.connectCount >= 2 && bystander.synced && bystanderPeer.connectCount >= 2 && bystanderPeer.synced, {
      timeoutMs: 15_000,
      message: () => `bystanders reconnect (connects ${bystander.connectCount}/${bystanderPeer.connectCount})`,
    })
    bystander.text.insert(0, 'after restart')
    await waitFor(() => bystanderPeer.text.toString() === 'after restart', { timeoutMs: 15_000, message: 'edit after reconnect reaches the peer' })
  })
})

type ConnectOutcome =
  | { kind: 'http'; status: number }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'stayed-open' }
  | { kind: 'error'; message: string }

/**
 * Opens a raw socket at `path`; if the relay accepts it, sends a sync step 1 and an update that
 * would create content, then waits for the relay to close it.
 */
async function tryConnect(baseUrl: string, path: string): Promise<ConnectOutcome> {
  const update = (() => {
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'must not be stored')
    return Y.encodeStateAsUpdate(doc)
  })()
  const frame = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0)
    write(encoder)
    return encoding.toUint8Array(encoder)
  }
  return await new Promise<ConnectOutcome>((resolve) => {
    const socket = new WebSocket(baseUrl + path)
    const timer = setTimeout(() => {
      resolve({ kind: 'stayed-open' })
      socket.terminate()
    }, 5_000)
    const finish = (outcome: ConnectOutcome): void => {
      clearTimeout(timer)
      resolve(outcome)
    }
    socket.on('unexpected-response', (request, response) => {
      finish({ kind: 'http', status: response.statusCode ?? 0 })
      request.destroy()
    })
    socket.on('open', () => {
      socket.send(frame((e) => syncProtocol.writeSyncStep1(e, new Y.Doc())))
      socket.send(frame((e) => syncProtocol.writeUpdate(e, update)))
    })
    socket.on('close', (code, reason) => finish({ kind: 'close', code, reason: reason.toString('utf8') }))
    socket.on('error', (error) => finish({ kind: 'error', message: error.message }))
  })
}

/** A deliberate refusal: HTTP 400 (or 404 when the path is not one segment) or a 4xxx/1008 close. */
function isRefusal(outcome: ConnectOutcome, allowNotFound: boolean): boolean {
  switch (outcome.kind) {
    case 'http':
      return outcome.status === 400 || (allowNotFound && outcome.status === 404)
    case 'close':
      return outcome.code === 1008 || (outcome.code >= 4000 && outcome.code <= 4999)
    case 'stayed-open':
    case 'error':
      return false
  }
}

describe('invalid doc ids', () => {
  it('are refused and create nothing in storage', { timeout: 60_000 }, async (context) => {
    const harness = processHarness(context)
    const relay = await harness.startRelay()
    // A valid doc proves the storage listing below can see documents at all.
    const controlId = uniqueDocId('control')
    const control = harness.client(relay, controlId)
    const controlPeer = harness.client(relay, controlId)
    await waitSynced([control, controlPeer], 'control clients')
    control.text.insert(0, 'control')
    await waitFor(() => controlPeer.text.toString() === 'control', { timeoutMs: 15_000, message: 'control edit relayed' })

    const cases: Array<{ path: string; allowNotFound: boolean }> = [
      { path: 'a'.repeat(129), allowNotFound: false },
      { path: 'bad$id', allowNotFound: false },
      { path: 'has%20space', allowNotFound: false },
      { path: 'dot.dot', allowNotFound: false },
      { path: 'caf%C3%A9', allowNotFound: false },
      { path: '..%2F..%2Fescape', allowNotFound: false },
      { path: '%00', allowNotFound: false },
      { path: '', allowNotFound: true },
      { path: 'nested/path', allowNotFound: true },
    ]
    const notRefused: string[] = []
    for (const { path, allowNotFound } of cases) {
      const outcome = await tryConnect(relay.syncUrl + '/', path)
      const line = `/sync/${path.length > 24 ? `${path.slice(0, 24)}…` : path} → ${JSON.stringify(outcome)}`
      harness.note(line)
      if (!isRefusal(outcome, allowNotFound)) notRefused.push(line)
    }
    expect(notRefused, 'paths that were not clearly refused').toEqual([])
    expect((await httpGet(`${relay.httpUrl}/healthz`)).status).toBe(200)

    // The relay's own listing: open documents count even before their first group commit.
    // Soft, so the storage check below still runs when only the listing is wrong.
    const listed = JSON.parse((await httpGet(`${relay.httpUrl}/api/docs`)).body) as { docs: Array<{ docId: string }> }
    expect.soft(listed.docs.map((doc) => doc.docId), 'GET /api/docs right after the control edit').toEqual([controlId])

    control.destroy()
    controlPeer.destroy()
    const ids = await storedDocIds(relay)
    expect(ids).toEqual([controlId])
  })
})
