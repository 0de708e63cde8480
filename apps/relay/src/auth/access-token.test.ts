import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { AccessDeniedError, authorize, grantCovers, isDocPattern, mintAccessToken, patternMatches, secretKey, verifyAccessToken } from './access-token'
import { parseTokenArgs, parseTtlSeconds } from './token-cli'

const SECRET = 'a-secret-of-at-least-thirty-two-characters'
const key = secretKey(SECRET)

async function refusal(promise: Promise<unknown>): Promise<AccessDeniedError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(AccessDeniedError)
    return error as AccessDeniedError
  }
  throw new Error('expected a refusal')
}

describe('access tokens', () => {
  it('patterns: exact ids, "*" and prefixes ending in "*"', () => {
    expect(['doc-1', '*', 'team-*', 'a*'].every(isDocPattern)).toBe(true)
    expect(['', '**', 'a*b', 'bad id', '../x', 'x'.repeat(129)].some(isDocPattern)).toBe(false)
    expect(patternMatches('team-*', 'team-notes')).toBe(true)
    expect(patternMatches('team-*', 'teams')).toBe(false)
    expect(patternMatches('doc', 'doc2')).toBe(false)
    expect(grantCovers({ docs: ['*'], role: 'read', expiresAtMs: 0 }, 'bad id')).toBe(false)
  })

  it('round-trips a minted token and refuses the wrong document with 403', async () => {
    const nowMs = 1_700_000_000_000
    const token = await mintAccessToken(SECRET, { docs: ['team-*'], role: 'read', ttlSeconds: 60, nowMs })
    expect(await verifyAccessToken(token, key, nowMs)).toEqual({ docs: ['team-*'], role: 'read', expiresAtMs: nowMs + 60_000 })
    expect((await authorize(token, key, 'team-a', nowMs)).role).toBe('read')
    const denied = await refusal(authorize(token, key, 'other', nowMs))
    expect([denied.status, denied.reason]).toEqual([403, 'wrong-document'])
    const expired = await refusal(verifyAccessToken(token, key, nowMs + 61_000))
    expect([expired.status, expired.reason]).toEqual([401, 'expired-token'])
  })

  it('refuses missing, forged, unsigned-algorithm and malformed-claim tokens with 401', async () => {
    expect((await refusal(verifyAccessToken(undefined, key))).reason).toBe('missing-token')
    const forged = await mintAccessToken('another-secret-that-is-long-enough-too', { docs: ['*'], role: 'write', ttlSeconds: 60 })
    expect((await refusal(verifyAccessToken(forged, key))).reason).toBe('invalid-token')
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ docs: ['*'], role: 'write', exp: 9e9 })).toString('base64url')}.`
    expect((await refusal(verifyAccessToken(none, key))).reason).toBe('invalid-token')
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key)
    for (const claims of [{ docs: 'x', role: 'read' }, { docs: [], role: 'read' }, { docs: ['a b'], role: 'read' }, { docs: ['*'], role: 'owner' }]) {
      expect((await refusal(verifyAccessToken(await sign(claims), key))).reason).toBe('invalid-token')
    }
    await expect(mintAccessToken('short', { docs: ['*'], role: 'read', ttlSeconds: 1 })).rejects.toThrow(/at least 32/)
    await expect(mintAccessToken(SECRET, { docs: ['bad id'], role: 'read', ttlSeconds: 1 })).rejects.toThrow(/Invalid document pattern/)
  })

  it('parses the CLI arguments', () => {
    expect(parseTtlSeconds('90')).toBe(90)
    expect(parseTtlSeconds('15m')).toBe(900)
    expect(parseTtlSeconds('7d')).toBe(604_800)
    expect(parseTtlSeconds('1 h')).toBeNull()
    expect(parseTokenArgs(['--', '--doc', 'a', '--doc=b,team-*', '--role', 'write', '--ttl', '2h'])).toEqual({
      docs: ['a', 'b', 'team-*'],
      role: 'write',
      ttlSeconds: 7_200,
    })
    expect(parseTokenArgs(['--doc', 'a'])).toEqual({ docs: ['a'], role: 'read', ttlSeconds: 3_600 })
    expect(() => parseTokenArgs(['--role', 'write'])).toThrow('--doc is required')
    expect(() => parseTokenArgs(['--doc', 'a', '--role', 'admin'])).toThrow(/--role must be read or write/)
    expect(parseTokenArgs(['--help'])).toBe('help')
  })
})
