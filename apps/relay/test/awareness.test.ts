import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, startRelay, waitFor, waitForSync, removeDir, type StartedRelay, type TestClient } from './helpers'

describe('awareness through the relay', () => {
  let relay: StartedRelay | undefined
  const clients: TestClient[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await relay?.close()
    if (relay) removeDir(relay.dataDir)
    relay = undefined
  })

  function client(docId: string, state: Record<string, unknown>): TestClient {
    const created = connectClient(relay!.syncUrl, docId, { awarenessState: state })
    clients.push(created)
    return created
  }

  it('reaches the others and disappears when a client disconnects', async () => {
    relay = await startRelay()
    const ada = client('presence', { user: { name: 'Ada' } })
    const bob = client('presence', { user: { name: 'Bob' } })
    const cy = client('presence', { user: { name: 'Cy' } })
    await Promise.all([ada, bob, cy].map((c) => waitForSync(c.provider)))

    const namesSeenBy = (c: TestClient) =>
      [...c.provider.awareness.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name).sort()
    await waitFor(() => [ada, bob, cy].every((c) => namesSeenBy(c).join() === 'Ada,Bob,Cy'), {
      message: 'every client to see all three presences',
    })

    ada.provider.awareness.setLocalStateField('user', { name: 'Ada L.' })
    await waitFor(() => namesSeenBy(bob).includes('Ada L.'), { message: 'Bob to see Ada rename' })

    clients.splice(clients.indexOf(ada), 1)
    ada.destroy()
    await waitFor(() => namesSeenBy(bob).join() === 'Bob,Cy' && namesSeenBy(cy).join() === 'Bob,Cy', {
      message: "Ada's presence to disappear",
    })
    expect(bob.provider.awareness.getStates().has(ada.doc.clientID)).toBe(false)
  })

  it('a late joiner receives the presences already there', async () => {
    relay = await startRelay()
    const first = client('presence-late', { user: { name: 'First' } })
    await waitForSync(first.provider)
    const late = client('presence-late', { user: { name: 'Late' } })
    await waitFor(() => late.provider.awareness.getStates().has(first.doc.clientID), {
      message: 'late joiner to see the first presence',
    })
  })
})
