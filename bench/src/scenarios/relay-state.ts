// Waiting on our relay's own state through its health endpoint (it reports open rooms).
import type { RunningServer } from '../servers/server-process'
import { getJson } from '../servers/http-json'
import { waitFor } from '../util/wait'

/** Resolves once the relay has no room open (every document flushed and unloaded). */
export async function waitRelayUnloaded(server: RunningServer, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const { body } = await getJson(server.port, '/healthz')
      return typeof body === 'object' && body !== null && (body as { rooms?: number }).rooms === 0
    },
    { timeoutMs, what: `${server.spec.label} unloading every room`, intervalMs: 50 },
  )
}
