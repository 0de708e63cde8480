import { describe, expect, it } from 'vitest'
import { ManualTimers } from '../../test/manual-timers'
import { FlushClock } from './flush-clock'

describe('FlushClock', () => {
  it('ticks one interval after the first request since its last tick and calls everyone who asked meanwhile, once', async () => {
    const timers = new ManualTimers()
    const clock = new FlushClock(timers, 50)
    const calls: string[] = []
    const a = () => calls.push(`a@${timers.now()}`)
    const b = () => calls.push(`b@${timers.now()}`)
    clock.request(a)
    await timers.advance(0) // the first tick: see the next test
    calls.length = 0
    await timers.advance(10)
    clock.request(a)
    await timers.advance(30)
    clock.request(b)
    clock.request(a)
    await timers.advance(19)
    expect(calls).toEqual([])
    await timers.advance(1)
    expect(calls).toEqual(['a@60', 'b@60'])
    await timers.advance(100)
    expect(calls).toHaveLength(2)
    expect(timers.pending).toBe(0)
  })

  it('ticks at the end of the current turn when asked a whole interval after its last tick, and never twice within an interval', async () => {
    const timers = new ManualTimers()
    const clock = new FlushClock(timers, 50)
    const ticks: number[] = []
    const flush = () => ticks.push(timers.now())
    clock.request(flush) // never ticked: this turn
    clock.request(flush)
    await timers.advance(0)
    expect(ticks).toEqual([0])
    await timers.advance(20)
    clock.request(flush) // 20 ms after the tick: the timer, due at 70
    await timers.advance(35)
    clock.request(flush) // 55 ms after the tick: cuts the timer short
    await timers.advance(0)
    expect(ticks).toEqual([0, 55])
    expect(timers.pending).toBe(0)
    // Steady requests every 10 ms: ticks stay one interval apart.
    for (let i = 0; i < 20; i++) {
      clock.request(flush)
      await timers.advance(10)
    }
    await timers.advance(100)
    const gaps = ticks.slice(1).map((at, i) => at - ticks[i]!)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50)
    expect(ticks.length).toBeGreaterThanOrEqual(6)
  })

  it('forgets a cancelled request and stops its timer when nobody is left', async () => {
    const timers = new ManualTimers()
    const clock = new FlushClock(timers, 50)
    const calls: string[] = []
    const a = () => calls.push('a')
    const b = () => calls.push('b')
    clock.request(a)
    clock.request(b)
    clock.cancel(a)
    await timers.advance(50)
    expect(calls).toEqual(['b'])
    clock.request(a)
    clock.cancel(a)
    expect(timers.pending).toBe(0)
  })
})
