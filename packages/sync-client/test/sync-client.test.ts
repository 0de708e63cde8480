import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { MiniRelay, waitFor } from './mini-relay'
import { freshDocId, openClient, recordingTimers, type TestClient } from './helpers'

const AWARENESS = 1
const SAVED_STATE_VECTOR = 100

let relay: MiniRelay
const opened: TestClient[] = []
function track(client: TestClient): TestClient {
  opened.push(client)
  return client
}

beforeEach(async () => {
  relay = await MiniRelay.start()
})

afterEach(async () => {
  for (const { client } of opened.splice(0)) await client.destroy()
  await relay.destroy()
})

const text = (doc: Y.Doc) => doc.getText('t').toString()

describe('SyncClient against a y-websocket relay', () => {
  it('syncs both ways and reports online + saved', async () => {
    const docId = freshDocId('basic')
    relay.room(docId).doc.getText('t').insert(0, 'from relay')
    const a = track(openClient({ serverUrl: relay.url, docId }))
    await a.waitForStatus('online and saved', (s) => s.connection === 'online' && s.allSaved)
    expect(text(a.client.doc)).toBe('from relay')
    a.client.doc.getText('t').insert(0, '> ')
    expect(a.client.getStatus()).toMatchObject({ allSaved: false, pendingChanges: 1 })
    await a.waitForStatus('the edit confirmed', (s) => s.allSaved && s.pendingChanges === 0)
    expect(text(relay.room(docId).doc)).toBe('> from relay')
    expect(a.connectionHistory()).toEqual(['connecting', 'online'])
  })

  it('reconnects after the relay drops the socket, with full-jitter delays, and reports connecting meanwhile', async () => {
    const docId = freshDocId('drop')
    const timers = recordingTimers()
    const randoms: number[] = []
    const a = track(
      openClient({
        serverUrl: relay.url,
        docId,
        timers,
        random: () => {
          randoms.push(0.37)
          return 0.37
        },
      }),
    )
    await a.waitForStatus('online', (s) => s.connection === 'online')
    randoms.length = 0
    relay.dropAll()
    await waitFor('a second connection', () => relay.connectionCount === 2)
    await a.waitForStatus('online again', (s) => s.connection === 'online')
    expect(a.connectionHistory()).toEqual(['connecting', 'online', 'connecting', 'online'])
    // First retry after a good connection: random · min(maxMs, baseMs · 2^0).
    expect(randoms).toHaveLength(1)
    expect(timers.delaysMs).toContain(0.37 * 20)
    expect(a.statuses.some((s) => s.connection === 'connecting' && s.nextRetryAtMs !== null)).toBe(true)
    expect(a.client.getStatus().nextRetryAtMs).toBeNull()
  })

  it('backs off exponentially with the cap while the relay is down, and says offline after repeated failures', async () => {
    const docId = freshDocId('down')
    const timers = recordingTimers()
    const a = track(openClient({ serverUrl: relay.url, docId, timers, random: () => 0.37 }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    await relay.stop()
    await a.waitForStatus('offline after failed attempts', (s) => s.connection === 'offline')
    await waitFor('the capped delay', () => timers.delaysMs.includes(0.37 * 200))
    const retryDelays = timers.delaysMs.filter((ms) => ms < 1 * 200 && ms > 0 && (ms / 0.37) % 1 < 1e-9)
    expect(retryDelays.slice(0, 5).map((ms) => Math.round(ms / 0.37))).toEqual([20, 40, 80, 160, 200])
    await relay.restart()
    await a.waitForStatus('online after the relay is back', (s) => s.connection === 'online')
  })

  it('counts edits made while disconnected and confirms them after reconnecting', async () => {
    const docId = freshDocId('pending')
    const a = track(openClient({ serverUrl: relay.url, docId }))
    await a.waitForStatus('online and saved', (s) => s.connection === 'online' && s.allSaved)
    await relay.stop()
    await a.waitForStatus('not online', (s) => s.connection !== 'online')
    const t = a.client.doc.getText('t')
    t.insert(0, 'abc')
    t.insert(3, 'def')
    t.delete(0, 1)
    expect(a.client.getStatus()).toMatchObject({ allSaved: false, pendingChanges: 3 })
    await relay.restart()
    await a.waitForStatus('all saved again', (s) => s.connection === 'online' && s.allSaved && s.pendingChanges === 0)
    expect(text(relay.room(docId).doc)).toBe('bcdef')
    // Never claimed saved while the edits were unconfirmed.
    const firstEdit = a.statuses.findIndex((s) => s.pendingChanges > 0)
    const confirmed = a.statuses.findIndex((s, i) => i > firstEdit && s.pendingChanges === 0)
    expect(a.statuses.slice(firstEdit, confirmed).every((s) => !s.allSaved)).toBe(true)
  })

  it('treats a silent socket as dead after the heartbeat timeout and reconnects', async () => {
    const docId = freshDocId('silent')
    const a = track(openClient({ serverUrl: relay.url, docId, heartbeatIntervalMs: 40, heartbeatTimeoutMs: 80 }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    const heartbeatsBefore = relay.countReceived(docId, SAVED_STATE_VECTOR)
    relay.silent = true
    await waitFor('a reconnect caused by the heartbeat', () => relay.connectionCount >= 2)
    expect(relay.countReceived(docId, SAVED_STATE_VECTOR)).toBeGreaterThan(heartbeatsBefore)
    expect(a.statuses.some((s) => s.connection === 'connecting')).toBe(true)
    relay.silent = false
    await a.waitForStatus('online once the relay answers again', (s) => s.connection === 'online')
  })

  it('drops a connection that answers heartbeats but never completes the sync', async () => {
    const docId = freshDocId('never-synced')
    relay.ignoreSync = true
    const a = track(openClient({ serverUrl: relay.url, docId, heartbeatIntervalMs: 40, heartbeatTimeoutMs: 80 }))
    await waitFor('a reconnect caused by the missing sync', () => relay.connectionCount >= 2)
    expect(a.client.getStatus().connection).not.toBe('online')
    relay.ignoreSync = false
    await a.waitForStatus('online once the relay syncs', (s) => s.connection === 'online')
  })

  it('sends a burst of 100 cursor updates as at most 2 awareness frames, ending on the last one', async () => {
    const docId = freshDocId('cursor')
    const a = track(openClient({ serverUrl: relay.url, docId }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    const { awareness } = a.client
    await waitFor('the initial awareness state on the relay', () =>
      relay.room(docId).awareness.getStates().has(awareness.clientID),
    )
    const before = relay.countReceived(docId, AWARENESS)
    for (let i = 0; i < 100; i++) awareness.setLocalStateField('cursor', { anchor: i, head: i })
    const lastCursor = () => relay.room(docId).awareness.getStates().get(awareness.clientID)?.['cursor'] as { anchor: number } | undefined
    await waitFor('the last cursor on the relay', () => lastCursor()?.anchor === 99)
    expect(relay.countReceived(docId, AWARENESS) - before).toBeLessThanOrEqual(2)
    expect(relay.room(docId).awareness.getStates().get(awareness.clientID)?.['user']).toEqual(a.client.getUser())
  })

  it('spreads cursor updates over time at most once per window', async () => {
    const docId = freshDocId('cursor-spread')
    const a = track(openClient({ serverUrl: relay.url, docId, awarenessIntervalMs: 50 }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    const { awareness } = a.client
    await waitFor('the initial awareness state', () => relay.room(docId).awareness.getStates().has(awareness.clientID))
    // Counted, not timed: the initial state can arrive in the same millisecond as startMs.
    const before = relay.countReceived(docId, AWARENESS)
    const startMs = Date.now()
    for (let i = 0; i < 100; i++) {
      awareness.setLocalStateField('cursor', { anchor: i, head: i })
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    const lastCursor = () => relay.room(docId).awareness.getStates().get(awareness.clientID)?.['cursor'] as { anchor: number } | undefined
    await waitFor('the last cursor', () => lastCursor()?.anchor === 99)
    const elapsedMs = Date.now() - startMs
    const frames = relay.countReceived(docId, AWARENESS) - before
    expect(frames).toBeLessThanOrEqual(Math.ceil(elapsedMs / 50) + 1)
    expect(frames).toBeLessThan(100)
  })

  it('removes the local awareness state on the relay at once when destroyed', async () => {
    const docId = freshDocId('leave')
    const a = openClient({ serverUrl: relay.url, docId })
    await a.waitForStatus('online', (s) => s.connection === 'online')
    const id = a.client.awareness.clientID
    await waitFor('presence', () => relay.room(docId).awareness.getStates().has(id))
    a.client.awareness.setLocalStateField('cursor', { anchor: 1, head: 1 })
    await a.client.destroy()
    await waitFor('presence removed', () => !relay.room(docId).awareness.getStates().has(id))
  })

  it('shows its presence again after the relay dropped it and it reconnected', async () => {
    const docId = freshDocId('presence-back')
    const a = track(openClient({ serverUrl: relay.url, docId }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    const id = a.client.awareness.clientID
    await waitFor('presence', () => relay.room(docId).awareness.getStates().has(id))
    let removed = false
    relay.room(docId).awareness.on('update', ({ removed: ids }: { removed: number[] }) => {
      if (ids.includes(id)) removed = true
    })
    relay.dropAll()
    await waitFor('presence removed with the socket', () => removed)
    await waitFor('presence back after the reconnect', () => relay.room(docId).awareness.getStates().has(id), 10_000)
  })

  it('follows window offline/online events even when the socket stays open', async () => {
    const docId = freshDocId('offline-event')
    const network = new EventTarget()
    const a = track(openClient({ serverUrl: relay.url, docId, networkEvents: network }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    network.dispatchEvent(new Event('offline'))
    expect(a.client.getStatus()).toMatchObject({ connection: 'offline', nextRetryAtMs: null })
    await waitFor('the relay to see the socket close', () => relay.connections(docId) === 0)
    a.client.doc.getText('t').insert(0, 'offline edit')
    expect(a.client.getStatus()).toMatchObject({ connection: 'offline', allSaved: false, pendingChanges: 1 })
    expect(relay.connectionCount).toBe(1)
    network.dispatchEvent(new Event('online'))
    await a.waitForStatus('online and saved', (s) => s.connection === 'online' && s.allSaved)
    expect(text(relay.room(docId).doc)).toBe('offline edit')
  })

  it('keeps tabs of one browser syncing over BroadcastChannel while offline', async () => {
    const docId = freshDocId('tabs')
    const network = new EventTarget()
    const a = track(openClient({ serverUrl: relay.url, docId, networkEvents: network, disableBc: false }))
    const b = track(openClient({ serverUrl: relay.url, docId, networkEvents: network, disableBc: false }))
    await a.waitForStatus('a online', (s) => s.connection === 'online')
    await b.waitForStatus('b online', (s) => s.connection === 'online')
    network.dispatchEvent(new Event('offline'))
    await waitFor('both sockets closed', () => relay.connections(docId) === 0)
    a.client.doc.getText('t').insert(0, 'tab to tab')
    await waitFor('the edit in the other tab', () => text(b.client.doc) === 'tab to tab')
    expect(text(relay.room(docId).doc)).toBe('')
  })

  it('when the browser starts offline: tries once, then waits for the online event', async () => {
    vi.stubGlobal('navigator', { onLine: false })
    try {
      const docId = freshDocId('start-offline')
      await relay.stop()
      const network = new EventTarget()
      const a = track(openClient({ serverUrl: relay.url, docId, networkEvents: network }))
      let closes = 0
      a.client.provider.on('connection-close', () => closes++)
      expect(a.client.getStatus().connection).toBe('offline')
      await waitFor('the first attempt to fail', () => closes === 1)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(closes).toBe(1)
      expect(a.client.getStatus()).toMatchObject({ connection: 'offline', nextRetryAtMs: null })
      await relay.restart()
      network.dispatchEvent(new Event('online'))
      await a.waitForStatus('online', (s) => s.connection === 'online')
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('when navigator.onLine is wrongly false, still connects to a reachable relay', async () => {
    vi.stubGlobal('navigator', { onLine: false })
    try {
      const a = track(openClient({ serverUrl: relay.url, docId: freshDocId('wrong-online-flag') }))
      await a.waitForStatus('online', (s) => s.connection === 'online')
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('stops reconnecting when the relay refuses the document for good', async () => {
    const docId = freshDocId('refused')
    const a = track(openClient({ serverUrl: relay.url, docId }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    relay.closeAll(4403, 'forbidden')
    await a.waitForStatus('offline with a reason', (s) => s.connection === 'offline' && s.permanentError !== null)
    expect(a.client.getStatus().permanentError).toMatch(/4403: forbidden/)
    expect(a.client.getStatus().nextRetryAtMs).toBeNull()
    a.client.reconnectNow()
    await a.waitForStatus('online after a manual retry', (s) => s.connection === 'online' && s.permanentError === null)
  })

  it('drops a connection that sends a malformed update and reconnects, without throwing', async () => {
    const docId = freshDocId('garbage')
    const a = track(openClient({ serverUrl: relay.url, docId }))
    await a.waitForStatus('online', (s) => s.connection === 'online')
    for (const ws of relay.room(docId).conns) ws.send(new Uint8Array([0, 2, 3, 0xff, 0xff, 0xff]))
    for (const ws of relay.room(docId).conns) ws.send(new Uint8Array([100, 9, 1]))
    await waitFor('a reconnect', () => relay.connectionCount >= 2)
    await a.waitForStatus('online again', (s) => s.connection === 'online')
  })

  it('refuses invalid options with a clear error', () => {
    expect(() => openClient({ serverUrl: relay.url, docId: 'no spaces' })).toThrow(/Invalid document id "no spaces"/)
    expect(() => openClient({ serverUrl: 'not a url', docId: 'ok' })).toThrow(/serverUrl/)
    expect(() => openClient({ serverUrl: relay.url, docId: 'ok', heartbeatTimeoutMs: -1 })).toThrow(/heartbeatTimeoutMs: -1/)
    // Node 20 has no global WebSocket: say so instead of a ReferenceError deep inside y-websocket.
    if (typeof WebSocket === 'undefined') {
      expect(() => openClient({ serverUrl: relay.url, docId: 'ok', WebSocketPolyfill: undefined })).toThrow(/WebSocketPolyfill/)
    }
  })
})
