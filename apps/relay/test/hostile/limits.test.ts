// Cases 13 and 20: floods before authentication (bad tokens, too many connections, slow or
// silent handshakes, many document names) and invalid document ids / path tricks. All are
// refused before anything is created.
import { CloseCode, HttpRefusal } from '@collab/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mintAccessToken } from '../../src/auth/access-token'
import { openRawClient, removeDir, startRelay, waitFor, type StartedRelay } from '../helpers'
import { MeasurementLog, rawTcp, rawUpgrade, runCase, upgradeStatus } from './support'

const log = new MeasurementLog('limits')
const SECRET = 'limits-test-secret-long-enough-for-hs256'
const HANDSHAKE_TIMEOUT_MS = 500
const ROOM_OPENS_PER_MINUTE = 20
const CONNECTIONS_PER_IP = 12

/** Resolves with the refusal status line of an upgrade sent byte for byte (no URL normalisation). */
async function literalUpgrade(port: number, path: string): Promise<string> {
  try {
    const raw = await rawUpgrade(port, path)
    raw.socket.destroy()
    return '101'
  } catch (error) {
    return (error as Error).message.replace('upgrade refused: HTTP/1.1 ', '').slice(0, 3)
  }
}

describe('pre-auth and address limits', () => {
  let relay: StartedRelay

  beforeAll(async () => {
    relay = await startRelay({
      config: {
        authSecret: SECRET,
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        maxRoomOpensPerIpPerMinute: ROOM_OPENS_PER_MINUTE,
        maxConnectionsPerIp: CONNECTIONS_PER_IP,
      },
    })
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('case 13: pre-auth floods, slow and silent handshakes and many document names are refused; nothing is created', async () => {
    const writeToken = await mintAccessToken(SECRET, { docs: ['*'], role: 'write', ttlSeconds: 3_600 })
    await runCase({
      log,
      relay,
      caseNumber: 13,
      title: 'pre-auth flood, slow upgrade, many doc names',
      docId: 'case-13',
      pairOptions: { params: { token: writeToken } },
      async attack() {
        const roomsBefore = relay.app.relay.rooms.openRoomCount
        // 300 upgrades with missing or forged tokens, all at once.
        const statuses = await Promise.all(
          Array.from({ length: 300 }, (_, i) => upgradeStatus(`${relay.syncUrl}/flood-${i}${i % 2 ? '?token=forged.token.x' : ''}`)),
        )
        expect(new Set(statuses.map((answer) => answer.status))).toEqual(new Set([HttpRefusal.Unauthorized]))
        expect(relay.app.relay.rooms.openRoomCount).toBe(roomsBefore)

        // Upgrade headers trickling in one byte at a time, and a TCP connection that says nothing:
        // both dropped once HANDSHAKE_TIMEOUT_MS passes without complete headers.
        const slow = await rawTcp(relay.port)
        slow.on('error', () => {})
        const silentTcp = await rawTcp(relay.port)
        silentTcp.on('error', () => {})
        let slowClosed = false
        let silentClosed = false
        slow.once('close', () => (slowClosed = true))
        silentTcp.once('close', () => (silentClosed = true))
        slow.write('GET /sync/case-13 HTTP/1.1\r\nHost: 127.0.0.1\r\n')
        const trickle = setInterval(() => {
          if (!slow.destroyed) slow.write('X')
        }, 50)
        try {
          await waitFor(() => slowClosed && silentClosed, { timeoutMs: 10_000, message: 'slow and silent handshakes to be dropped' })
        } finally {
          clearInterval(trickle)
        }

        // Upgraded, then silent: closed with 4408.
        const mute = await openRawClient(`${relay.syncUrl}`, `case-13?token=${writeToken}`)
        expect((await mute.closed).code).toBe(CloseCode.AuthTimeout)

        // Connections per address: the pair holds 2; the rest up to the limit open, then 429.
        const held = []
        for (let i = 0; i < CONNECTIONS_PER_IP - 2; i++) held.push(await openRawClient(relay.syncUrl, `case-13?token=${writeToken}`))
        expect((await upgradeStatus(`${relay.syncUrl}/case-13?token=${writeToken}`)).status).toBe(HttpRefusal.TooManyRequests)
        for (const client of held) client.socket.close()
        await waitFor(() => relay.app.relay.connections.size === 2, { message: 'the held connections to close' })

        // Many document names: the open budget (the pair's document used one) runs out → 429.
        const opens: number[] = []
        for (let i = 0; i < ROOM_OPENS_PER_MINUTE + 10; i++) {
          const answer = await upgradeStatus(`${relay.syncUrl}/name-${i}?token=${writeToken}`)
          opens.push(answer.status)
        }
        const opened = opens.filter((status) => status === 101).length
        expect(opened).toBeGreaterThanOrEqual(ROOM_OPENS_PER_MINUTE - 1)
        expect(opened).toBeLessThanOrEqual(ROOM_OPENS_PER_MINUTE)
        expect(opens.slice(opened)).toEqual(opens.slice(opened).map(() => HttpRefusal.TooManyRequests))
        return `300 bad tokens: 401; slow/silent handshakes dropped after ${HANDSHAKE_TIMEOUT_MS} ms; silent socket: 4408; ` +
          `connection ${CONNECTIONS_PER_IP + 1}: 429; ${opened} new documents then 429`
      },
    })
  })
})

describe('invalid document ids and path tricks', () => {
  let relay: StartedRelay

  beforeAll(async () => {
    relay = await startRelay({ config: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } })
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('case 20: invalid ids and path tricks get 400/404 before the upgrade and create nothing', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 20,
      title: 'invalid doc ids and path tricks',
      docId: 'case-20',
      async attack() {
        const paths: Array<[string, string[]]> = [
          [`/sync/${'a'.repeat(129)}`, ['400']],
          [`/sync/${'a'.repeat(5_000)}`, ['400', '404', '414']],
          ['/sync/has%20space', ['400']],
          ['/sync/..%2F..%2Fetc%2Fpasswd', ['400']],
          ['/sync/%2e%2e', ['400']],
          ['/sync/../../etc/passwd', ['400', '404']],
          ['/sync/doc%00', ['400']],
          ['/sync/%E2%80%AE', ['400']],
          ['/sync/üñí', ['400']],
          ['/sync//case-20', ['400', '404']],
          ['/sync/case-20/extra', ['404']],
          ['/SYNC/case-20', ['404']],
          ['/sync', ['404']],
          ['/api/docs', ['404']],
          ['/sync/%E0%A4%A', ['400']],
          ['/sync/a%ZZ', ['400']],
          ['/%', ['400']],
        ]
        for (const [path, expected] of paths) {
          expect(expected, path).toContain(await literalUpgrade(relay.port, path))
        }
        expect(relay.app.relay.rooms.list().map((room) => room.docId)).toEqual(['case-20'])
        await waitFor(async () => (await relay.store.list()).length === 1, { message: 'the honest document to be stored' })
        expect((await relay.store.list()).map((doc) => doc.docId)).toEqual(['case-20'])
        // Requests Fastify refuses before any hook (bad percent-encoding, URI too long) must not
        // leave their sockets open: only the honest pair's two remain.
        const serverConnections = (): Promise<number> =>
          new Promise((resolve) => relay.app.server.getConnections((_error, count) => resolve(count)))
        await waitFor(async () => (await serverConnections()) === 2, { message: 'refused upgrade sockets to be closed' })
        return `${paths.length} paths: 400/404 before the upgrade; no room or stored document created`
      },
    })
  })
})
