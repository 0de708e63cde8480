// Access tokens travel in the query string; the relay's request log lines must not carry them.
import { afterEach, describe, expect, it } from 'vitest'
import { mintAccessToken } from '../src/auth/access-token'
import { REDACTED } from '../src/request-log'
import { captureLog, removeDir, startRelay, type StartedRelay } from './helpers'
import { upgradeStatus } from './hostile/support'

const SECRET = 'request-log-secret-long-enough-for-hs256'

describe('request logging', () => {
  let relay: StartedRelay | undefined

  afterEach(async () => {
    await relay?.close()
    if (relay !== undefined) removeDir(relay.dataDir)
    relay = undefined
  })

  it('logs every request at the default level with its token redacted, accepted or refused', async () => {
    const log = captureLog()
    relay = await startRelay({ config: { authSecret: SECRET }, logger: { level: 'info', stream: log.stream } })
    const valid = await mintAccessToken(SECRET, { docs: ['log-*'], role: 'write', ttlSeconds: 600 })
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJkb2NzIjpbIioiXX0.forged-signature-value'

    expect((await upgradeStatus(`${relay.syncUrl}/log-doc?token=${valid}`)).status).toBe(101)
    expect((await upgradeStatus(`${relay.syncUrl}/log-doc?token=${forged}`)).status).toBe(401)
    expect((await fetch(`${relay.httpUrl}/api/docs/log-doc?token=${valid}`)).status).toBe(200)

    const requests = log.records().filter((record) => record.msg === 'incoming request')
    expect(requests.map((record) => (record.req as { url: string }).url)).toEqual([
      `/sync/log-doc?token=${REDACTED}`,
      `/sync/log-doc?token=${REDACTED}`,
      `/api/docs/log-doc?token=${REDACTED}`,
    ])
    const written = JSON.stringify(log.records())
    for (const secret of [valid, forged, valid.split('.')[2]!]) expect(written).not.toContain(secret)
  })
})
