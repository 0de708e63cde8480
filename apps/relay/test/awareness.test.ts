import { describe, expect, it } from 'vitest'
import { useRelayPerTest, waitFor, waitForSync, type TestClient } from './helpers'

describe('awareness through the relay', () => {
  const relays = useRelayPerTest()
  const client = (docId: string, state: Record<string, unknown>): TestClient => relays.client(docId, { awarenessState: state })

  it('reaches the others and disappears when a client disconnects', async () => {
    await relays.start()
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

    ada.destroy()
    await waitFor(() => namesSeenBy(bob).join() === 'Bob,Cy' && namesSeenBy(cy).join() === 'Bob,Cy', {
      message: "Ada's presence to disappear",
    })
    expect(bob.provider.awareness.getStates().has(ada.doc.clientID)).toBe(false)
  })

  it('a late joiner receives the presences already there', async () => {
    await relays.start()
    const first = client('presence-late', { user: { name: 'First' } })
    await waitForSync(first.provider)
    const late = client('presence-late', { user: { name: 'Late' } })
    await waitFor(() => late.provider.awareness.getStates().has(first.doc.clientID), {
      message: 'late joiner to see the first presence',
    })
  })
})
