// An idle connection must not keep the HTTP objects of its upgrade alive (they were ~6 KiB of
// every connection: the ServerResponse @fastify/websocket routes through Fastify, the
// IncomingMessage with its headers, Fastify's request and reply, a child logger per socket).
import type { IncomingMessage } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { useRelayPerTest, waitForSync, type TestClient } from './helpers'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('upgrade request retention', () => {
  const relays = useRelayPerTest()

  it('an open, synced connection holds nothing of its upgrade request', async () => {
    const relay = await relays.start({ config: { handshakeTimeoutMs: 100 } })
    const upgrades: WeakRef<IncomingMessage>[] = []
    relay.app.server.on('upgrade', (request: IncomingMessage) => upgrades.push(new WeakRef(request)))
    const clients: TestClient[] = []
    for (let i = 0; i < 3; i++) clients.push(relays.client(`retention-${i}`, { awarenessState: { user: { name: `U${i}` } } }))
    await Promise.all(clients.map((client) => waitForSync(client.provider)))
    clients[0]!.doc.getText('text').insert(0, 'typed after the upgrade')
    // Past the upgrade reaper's timeout too: its timer and listener must be gone as well.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(upgrades).toHaveLength(3)
    expect(relay.app.relay.connections.size).toBe(3)
    await collectGarbage()
    expect(upgrades.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
  })
})
