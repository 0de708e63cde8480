import { describe, expect, it } from 'vitest'
import { AddressLimits } from './address-limits'
import { TokenBucket } from './token-bucket'

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate; charges put it in debt, capped at one burst', () => {
    let nowMs = 0
    const bucket = new TokenBucket(10, 5, { now: () => nowMs })
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
    nowMs += 100 // one token
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
    bucket.charge(100)
    expect(bucket.available).toBe(-5)
    nowMs += 1_000 // +10 → 5 (full)
    expect(bucket.full).toBe(true)
  })
})

describe('AddressLimits', () => {
  it('counts connections per address and spends a per-minute budget of document opens', () => {
    let nowMs = 0
    const limits = new AddressLimits({ maxConnectionsPerIp: 2, maxRoomOpensPerIpPerMinute: 3, now: () => nowMs })
    limits.connected('a')
    expect(limits.mayConnect('a')).toBe(true)
    limits.connected('a')
    expect(limits.mayConnect('a')).toBe(false)
    expect(limits.mayConnect('b')).toBe(true)
    limits.disconnected('a')
    limits.disconnected('a')
    expect(limits.connectionCount('a')).toBe(0)
    expect([1, 2, 3, 4].map(() => limits.tryOpenRoom('a'))).toEqual([true, true, true, false])
    expect(limits.tryOpenRoom('b')).toBe(true)
    nowMs += 20_000 // one more per 20 s
    expect(limits.tryOpenRoom('a')).toBe(true)
    expect(limits.tryOpenRoom('a')).toBe(false)
  })
})
