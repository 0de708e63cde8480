import { describe, expect, it } from 'vitest'
import { ManualTimers } from '../../test/manual-timers'
import { RelayLiveness, type RelayGoneReason } from './liveness'

function setup() {
  const timers = new ManualTimers()
  const gone: Array<[string, RelayGoneReason]> = []
  const liveness = new RelayLiveness({ timers, heartbeatMs: 100, onGone: (relayId, reason) => gone.push([relayId, reason]) })
  liveness.resume()
  return { timers, gone, liveness }
}

describe('RelayLiveness', () => {
  it('presumes a relay dead after 3.5 silent heartbeat intervals, not before', async () => {
    const { timers, gone, liveness } = setup()
    liveness.seen('b', { intervalMs: 100, instance: 'x' })
    await timers.advance(340)
    liveness.check()
    expect(gone).toEqual([])
    await timers.advance(20)
    liveness.check()
    expect(gone).toEqual([['b', 'timeout']])
    expect(liveness.alive).toEqual([])
  })

  it('waits for the slower of its own and the peer’s announced interval', async () => {
    const { timers, gone, liveness } = setup()
    liveness.seen('slow', { intervalMs: 1_000, instance: 'x' })
    await timers.advance(3_000)
    liveness.check()
    expect(gone).toEqual([])
    await timers.advance(600)
    liveness.check()
    expect(gone).toEqual([['slow', 'timeout']])
  })

  it('declares nobody dead while its own bus is down, and gives everyone a fresh window after', async () => {
    const { timers, gone, liveness } = setup()
    liveness.seen('b')
    liveness.pause()
    await timers.advance(10_000)
    liveness.check()
    liveness.resume()
    liveness.check()
    expect(gone).toEqual([])
    await timers.advance(400)
    liveness.check()
    expect(gone).toEqual([['b', 'timeout']])
  })

  it('a BYE is a clean leave; a new process under the same id means the old one died', () => {
    const { gone, liveness } = setup()
    liveness.seen('b', { intervalMs: 100, instance: 'first' })
    liveness.seen('b', { intervalMs: 100, instance: 'second' })
    expect(gone).toEqual([['b', 'timeout']])
    liveness.left('b')
    expect(gone).toEqual([
      ['b', 'timeout'],
      ['b', 'left'],
    ])
    // After a clean leave the next process is simply a newcomer.
    liveness.seen('b', { intervalMs: 100, instance: 'third' })
    expect(gone).toHaveLength(2)
    expect(liveness.alive).toEqual(['b'])
  })
})
