import { describe, expect, it } from 'vitest'
import { ManualTimers } from '../../test/manual-timers'
import { SendBuffer } from './send-buffer'

function setup(limits = { softLimitBytes: 100, hardLimitBytes: 1_000, maxBehindMs: 500 }) {
  const timers = new ManualTimers()
  const events: string[] = []
  let buffered = 0
  const buffer = new SendBuffer(limits, timers, {
    bufferedBytes: () => buffered,
    fellBehind: () => events.push('behind'),
    caughtUp: () => events.push('caught-up'),
    overflow: (reason) => events.push(`overflow: ${reason}`),
  })
  return { timers, events, buffer, setBuffered: (bytes: number) => (buffered = bytes) }
}

describe('SendBuffer', () => {
  it('falls behind past the soft limit and catches up below a quarter of it', async () => {
    const { timers, events, buffer, setBuffered } = setup()
    setBuffered(50)
    buffer.afterSend(50, false)
    expect(buffer.behind).toBe(false)
    setBuffered(150)
    buffer.afterSend(100, false)
    expect(buffer.behind).toBe(true)
    setBuffered(30)
    await timers.advance(25)
    expect(events).toEqual(['behind'])
    setBuffered(25)
    await timers.advance(25)
    expect(events).toEqual(['behind', 'caught-up'])
    expect(buffer.behind).toBe(false)
    expect(timers.pending).toBe(0)
  })

  it('overflows past the hard limit (beyond the last mandatory frame) or when behind too long', async () => {
    const hard = setup()
    hard.setBuffered(5_000)
    hard.buffer.afterSend(4_500, true) // a large mandatory frame (a resync) is allowed through
    await hard.timers.advance(25)
    expect(hard.events).toEqual(['behind'])
    hard.setBuffered(5_600)
    await hard.timers.advance(25)
    expect(hard.events[1]).toMatch(/^overflow: send buffer 5600 bytes exceeds the hard limit 1000/)

    const slow = setup()
    slow.setBuffered(200)
    slow.buffer.afterSend(200, false)
    await slow.timers.advance(525)
    expect(slow.events).toEqual(['behind', 'overflow: behind for more than 500 ms'])
    expect(slow.timers.pending).toBe(0)
  })
})
