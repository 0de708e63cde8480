import { describe, expect, it } from 'vitest'
import { ManualTimers } from '../../test/manual-timers'
import { FlushClock } from './flush-clock'

describe('FlushClock', () => {
  it('ticks one interval after the first request and calls everyone who asked meanwhile, once', async () => {
    const timers = new ManualTimers()
    const clock = new FlushClock(timers, 50)
    const calls: string[] = []
    const a = () => calls.push(`a@${timers.now()}`)
    const b = () => calls.push(`b@${timers.now()}`)
    clock.request(a)
    await timers.advance(30)
    clock.request(b)
    clock.request(a)
    await timers.advance(19)
    expect(calls).toEqual([])
    await timers.advance(1)
    expect(calls).toEqual(['a@50', 'b@50'])
    await timers.advance(100)
    expect(calls).toHaveLength(2)
    expect(timers.pending).toBe(0)
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
