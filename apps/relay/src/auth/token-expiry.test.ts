import { describe, expect, it } from 'vitest'
import { ManualTimers } from '../../test/manual-timers'
import { TokenExpiries } from './token-expiry'

const EPOCH_MS = 1_800_000_000_000

function setup() {
  const timers = new ManualTimers()
  const expired: string[] = []
  const expiries = new TokenExpiries(timers, () => EPOCH_MS + timers.now())
  const session = (name: string) => ({ expired: () => expired.push(name) })
  return { timers, expired, expiries, session }
}

describe('TokenExpiries', () => {
  it('expires each session at its time, in order, with one timer for all', async () => {
    const { timers, expired, expiries, session } = setup()
    expiries.add(session('late'), EPOCH_MS + 300)
    expiries.add(session('early'), EPOCH_MS + 100)
    expiries.add(session('same-a'), EPOCH_MS + 200)
    expiries.add(session('same-b'), EPOCH_MS + 200)
    expect(timers.pending).toBe(1)
    await timers.advance(99)
    expect(expired).toEqual([])
    await timers.advance(1)
    expect(expired).toEqual(['early'])
    await timers.advance(100)
    expect(expired).toEqual(['early', 'same-a', 'same-b'])
    await timers.advance(100)
    expect(expired).toEqual(['early', 'same-a', 'same-b', 'late'])
    expect(expiries.size).toBe(0)
    expect(timers.pending).toBe(0)
  })

  it('a deleted session never expires; deleting the first re-arms for the next', async () => {
    const { timers, expired, expiries, session } = setup()
    const first = session('first')
    const twin = session('twin')
    expiries.add(first, EPOCH_MS + 100)
    expiries.add(twin, EPOCH_MS + 100)
    expiries.add(session('second'), EPOCH_MS + 500)
    expiries.delete(first, EPOCH_MS + 100)
    expiries.delete(twin, EPOCH_MS + 100)
    expiries.delete(twin, EPOCH_MS + 100)
    expect(expiries.size).toBe(1)
    await timers.advance(499)
    expect(expired).toEqual([])
    await timers.advance(1)
    expect(expired).toEqual(['second'])
  })

  it('waits past the longest timer delay in steps', async () => {
    const { timers, expired, expiries, session } = setup()
    const farMs = 2 ** 31 + 1_000
    expiries.add(session('far'), EPOCH_MS + farMs)
    await timers.advance(2 ** 31 - 1)
    expect(expired).toEqual([])
    await timers.advance(1_001)
    expect(expired).toEqual(['far'])
  })

  it('dispose stops the timer', async () => {
    const { timers, expired, expiries, session } = setup()
    expiries.add(session('a'), EPOCH_MS + 100)
    expiries.dispose()
    expect(timers.pending).toBe(0)
    await timers.advance(1_000)
    expect(expired).toEqual([])
  })
})
