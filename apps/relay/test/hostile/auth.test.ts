// Cases 14, 15, 16: tokens (read-only writes, expiry mid-session) and the Origin allowlist, plus
// the refusals of missing, invalid, expired and wrong-document tokens before the upgrade.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { CloseCode, HttpRefusal } from '@collab/protocol'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as authProtocol from 'y-protocols/auth'
import type * as decoding from 'lib0/decoding'
import { SignJWT } from 'jose'
import { mintAccessToken, secretKey, verifyAccessToken } from '../../src/auth/access-token'
import { connectClient, removeDir, startRelay, textOf, waitFor, waitForSync, type StartedRelay, type TestClient } from '../helpers'
import { MeasurementLog, repoRoot, roomHash, runCase, upgradeStatus } from './support'

const log = new MeasurementLog('auth')
const SECRET = 'test-secret-that-is-long-enough-for-hs256!'

const token = (docs: string[], role: 'read' | 'write', ttlSeconds = 3_600): Promise<string> =>
  mintAccessToken(SECRET, { docs, role, ttlSeconds })

/** Collects permission-denied reasons instead of letting y-websocket print them. */
function recordDenials(client: TestClient): string[] {
  const reasons: string[] = []
  client.provider.messageHandlers[2] = (_encoder: unknown, decoder: decoding.Decoder) => {
    authProtocol.readAuthMessage(decoder, client.doc, (_doc, reason) => reasons.push(reason))
  }
  return reasons
}

describe('authentication', () => {
  let relay: StartedRelay
  const extra: TestClient[] = []

  beforeAll(async () => {
    relay = await startRelay({ config: { authSecret: SECRET } })
  })

  afterEach(() => {
    for (const client of extra.splice(0)) client.destroy()
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('refuses missing, invalid, expired and foreign-document tokens before the upgrade (401/403), opening no socket', async () => {
    const url = `${relay.syncUrl}/auth-refusals`
    const forged = await new SignJWT({ docs: ['*'], role: 'write' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(secretKey('another-secret-that-is-also-long-enough'))
    const expired = await mintAccessToken(SECRET, { docs: ['*'], role: 'write', ttlSeconds: 1, nowMs: Date.now() - 10_000 })
    const noExpiry = await new SignJWT({ docs: ['*'], role: 'write' }).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(SECRET))
    const badRole = await new SignJWT({ docs: ['*'], role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secretKey(SECRET))
    const cases: Array<[string, string, number, string]> = [
      ['missing', '', HttpRefusal.Unauthorized, 'missing-token'],
      ['garbage', '?token=not.a.jwt', HttpRefusal.Unauthorized, 'invalid-token'],
      ['forged', `?token=${forged}`, HttpRefusal.Unauthorized, 'invalid-token'],
      ['expired', `?token=${expired}`, HttpRefusal.Unauthorized, 'expired-token'],
      ['no exp', `?token=${noExpiry}`, HttpRefusal.Unauthorized, 'invalid-token'],
      ['bad role', `?token=${badRole}`, HttpRefusal.Unauthorized, 'invalid-token'],
      ['other doc', `?token=${await token(['other-doc', 'team-*'], 'write')}`, HttpRefusal.Forbidden, 'wrong-document'],
    ]
    for (const [what, query, status, reason] of cases) {
      const answer = await upgradeStatus(`${url}${query}`)
      expect(answer.status, what).toBe(status)
      expect(JSON.parse(answer.body).error, what).toBe(reason)
    }
    expect(relay.app.relay.connections.size).toBe(0)
    expect(relay.app.relay.rooms.get('auth-refusals')).toBeUndefined()
    expect((await upgradeStatus(`${url}?token=${await token(['auth-*'], 'read')}`)).status).toBe(101)
  })

  it('case 14: writes with a read-only token are not applied, broadcast or stored; the client is told once and keeps receiving', async () => {
    const writeToken = await token(['case-14'], 'write')
    const readToken = await token(['case-*'], 'read')
    await runCase({
      log,
      relay,
      caseNumber: 14,
      title: 'writes with a read-only token',
      docId: 'case-14',
      pairOptions: { params: { token: writeToken } },
      documentMayChange: true, // by the honest edit below; the read-only edits are checked by hash
      async attack(pair) {
        const before = roomHash(relay, 'case-14')
        const viewer = connectClient(relay.syncUrl, 'case-14', { params: { token: readToken }, awarenessState: { user: 'viewer' } })
        extra.push(viewer)
        const denials = recordDenials(viewer)
        await waitForSync(viewer.provider)
        expect(textOf(viewer.doc)).toBe(textOf(pair.a.doc))
        viewer.doc.getText('text').insert(0, 'READ-ONLY-1 ')
        viewer.doc.getText('text').insert(0, 'READ-ONLY-2 ')
        // Frames of one socket are handled in order: once this presence arrives, both edits were.
        viewer.provider.awareness.setLocalState({ user: 'viewer', marker: 1 })
        await waitFor(() => (pair.b.provider.awareness.getStates().get(viewer.doc.clientID) as { marker?: number } | undefined)?.marker === 1, {
          message: 'the viewer\'s presence (relayed: viewers are visible) to reach b',
        })
        expect(textOf(pair.b.doc)).not.toContain('READ-ONLY')
        expect(roomHash(relay, 'case-14'), 'the read-only edits changed the document').toBe(before)
        expect(denials).toEqual(['read-only: this token may not change the document; changes are not applied'])
        // Still connected and still receiving.
        pair.a.doc.getText('text').insert(textOf(pair.a.doc).length, '<for the viewer>')
        await waitFor(() => textOf(viewer.doc).includes('<for the viewer>'), { message: 'the viewer to keep receiving edits' })
        expect(viewer.provider.wsconnected).toBe(true)
        return 'edits dropped, permission-denied sent once, connection kept; viewer presence relayed'
      },
    })
  })

  it('case 16: a token expiring mid-session closes the session with 4401 (and a stock client stops retrying)', async () => {
    const shortToken = await token(['case-16'], 'write', 2)
    const longToken = await token(['case-16'], 'write')
    await runCase({
      log,
      relay,
      caseNumber: 16,
      title: 'token expiring mid-session',
      docId: 'case-16',
      pairOptions: { params: { token: longToken } },
      async attack() {
        const expiring = connectClient(relay.syncUrl, 'case-16', { params: { token: shortToken } })
        extra.push(expiring)
        const codes: number[] = []
        expiring.provider.on('connection-close', (event: { code: number } | null) => {
          if (event) codes.push(event.code)
        })
        await waitForSync(expiring.provider)
        await waitFor(() => codes.length > 0, { timeoutMs: 10_000, message: 'the session to be closed at expiry' })
        expect(codes[0]).toBe(CloseCode.Unauthorized)
        await waitFor(() => !expiring.provider.wsconnecting && !expiring.provider.wsconnected, { message: 'no reconnect after 4401' })
        return 'closed with 4401 at exp; the stock client does not reconnect (44xx)'
      },
    })
  })

  it('the JSON API needs a token too and lists only the documents it covers', async () => {
    const writer = connectClient(relay.syncUrl, 'api-listed', { params: { token: await token(['api-*'], 'write') } })
    const other = connectClient(relay.syncUrl, 'elsewhere', { params: { token: await token(['elsewhere'], 'write') } })
    extra.push(writer, other)
    await Promise.all([waitForSync(writer.provider), waitForSync(other.provider)])
    expect((await fetch(`${relay.httpUrl}/api/docs`)).status).toBe(HttpRefusal.Unauthorized)
    const listed = await fetch(`${relay.httpUrl}/api/docs`, { headers: { authorization: `Bearer ${await token(['api-*'], 'read')}` } })
    expect(listed.status).toBe(200)
    const ids = ((await listed.json()) as { docs: Array<{ docId: string }> }).docs.map((doc) => doc.docId)
    expect(ids).toContain('api-listed')
    expect(ids).not.toContain('elsewhere')
    const stats = (docId: string, query: string) => fetch(`${relay.httpUrl}/api/docs/${docId}?token=${query}`)
    expect((await stats('elsewhere', await token(['api-*'], 'read'))).status).toBe(HttpRefusal.Forbidden)
    expect((await stats('api-listed', await token(['api-*'], 'read'))).status).toBe(200)
  })

  it('the token CLI mints a token the relay accepts', async () => {
    const { stdout } = await promisify(execFile)(
      'pnpm',
      ['--silent', '--filter', '@collab/relay', 'run', 'token', '--', '--doc', 'team-*', '--role', 'write', '--ttl', '1h'],
      { cwd: repoRoot, env: { ...process.env, AUTH_SECRET: SECRET } },
    )
    const minted = stdout.trim()
    const grant = await verifyAccessToken(minted, secretKey(SECRET))
    expect(grant.docs).toEqual(['team-*'])
    expect(grant.role).toBe('write')
    expect(grant.expiresAtMs - Date.now()).toBeGreaterThan(3_500_000)
    expect((await upgradeStatus(`${relay.syncUrl}/team-notes?token=${minted}`)).status).toBe(101)
  })
})

describe('origin allowlist', () => {
  let relay: StartedRelay
  let configured: StartedRelay

  beforeAll(async () => {
    relay = await startRelay()
    configured = await startRelay({ config: { allowedOrigins: ['https://app.example.com'] } })
  })

  afterAll(async () => {
    for (const started of [relay, configured]) {
      await started.close()
      removeDir(started.dataDir)
    }
    log.write()
  })

  it('case 15: a foreign Origin is refused with 403 before the upgrade', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 15,
      title: 'foreign Origin',
      docId: 'case-15',
      async attack() {
        const url = `${relay.syncUrl}/case-15`
        const connectionsBefore = relay.app.relay.connections.size
        const status = async (origin: string): Promise<number> => (await upgradeStatus(url, { Origin: origin })).status
        expect(await status('http://evil.example')).toBe(HttpRefusal.Forbidden)
        expect(await status('null')).toBe(HttpRefusal.Forbidden)
        expect(await status('https://app.example.com')).toBe(HttpRefusal.Forbidden)
        expect(await status(`http://localhost.evil.example:${relay.port}`)).toBe(HttpRefusal.Forbidden)
        expect(relay.app.relay.connections.size).toBe(connectionsBefore)
        // Defaults: the relay's own page, and pages from this machine on any port.
        expect(await status(`http://127.0.0.1:${relay.port}`)).toBe(101)
        expect(await status('http://localhost:5173')).toBe(101)
        // ALLOWED_ORIGINS replaces the localhost default; the relay's own page stays allowed.
        const other = `${configured.syncUrl}/case-15`
        expect((await upgradeStatus(other, { Origin: 'https://app.example.com' })).status).toBe(101)
        expect((await upgradeStatus(other, { Origin: 'http://localhost:5173' })).status).toBe(HttpRefusal.Forbidden)
        expect((await upgradeStatus(other, { Origin: `http://127.0.0.1:${configured.port}` })).status).toBe(101)
        return 'foreign, null and unlisted origins: 403 before the upgrade; own page and allowlisted: 101'
      },
    })
  })
})
