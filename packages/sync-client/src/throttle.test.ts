import { describe, expect, it } from 'vitest'
import { FakeClock } from '../test/fake-clock'
import { createThrottle } from './throttle'

function setup(intervalMs = 50) {
  const clock = new FakeClock()
  const runsAtMs: number[] = []
  const throttle = createThrottle(() => runsAtMs.push(clock.now()), { intervalMs, now: clock.now, timers: clock })
  return { clock, runsAtMs, throttle }
}

describe('createThrottle', () => {
  it('runs the first call at once and merges a burst into one trailing run', () => {
    const { clock, runsAtMs, throttle } = setup()
    for (let i = 0; i < 100; i++) throttle.call()
    expect(runsAtMs).toEqual([0])
    expect(throttle.pending).toBe(true)
    clock.advance(49)
    expect(runsAtMs).toEqual([0])
    clock.advance(1)
    expect(runsAtMs).toEqual([0, 50])
    expect(throttle.pending).toBe(false)
  })

  it('never runs twice within an interval under a steady stream of calls', () => {
    const { clock, runsAtMs, throttle } = setup(50)
    // One call every 3 ms for 1 s.
    for (let t = 0; t < 1000; t += 3) {
      throttle.call()
      clock.advance(3)
    }
    clock.advance(100)
    for (let i = 1; i < runsAtMs.length; i++) expect(runsAtMs[i]! - runsAtMs[i - 1]!).toBeGreaterThanOrEqual(50)
    expect(runsAtMs.length).toBeLessThanOrEqual(Math.ceil(1000 / 50) + 1)
    // …and still keeps up: the last call is never lost.
    expect(runsAtMs.at(-1)).toBeGreaterThanOrEqual(999)
  })

  it('runs immediately again once an interval has passed', () => {
    const { clock, runsAtMs, throttle } = setup()
    throttle.call()
    clock.advance(200)
    throttle.call()
    expect(runsAtMs).toEqual([0, 200])
  })

  it('flush runs a scheduled call now; cancel drops it', () => {
    const { clock, runsAtMs, throttle } = setup()
    throttle.call()
    clock.advance(10)
    throttle.call()
    throttle.flush()
    expect(runsAtMs).toEqual([0, 10])
    throttle.flush()
    expect(runsAtMs).toEqual([0, 10])
    clock.advance(10)
    throttle.call()
    throttle.cancel()
    clock.advance(1000)
    expect(runsAtMs).toEqual([0, 10])
    expect(clock.pendingTimers).toBe(0)
  })
})
