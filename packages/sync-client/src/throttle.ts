import type { Timers } from './api'
import { createTimerSlot } from './timers'

export interface ThrottleOptions {
  /** Minimum spacing between two runs. */
  intervalMs: number
  now: () => number
  timers: Timers
}

/** A throttled action: `run` happens at most once per interval; calls in between coalesce. */
export interface Throttle {
  /** Run now if the last run is at least an interval ago, else once at the end of the window. */
  call(): void
  /** Run a scheduled call immediately (no-op when nothing is scheduled). */
  flush(): void
  /** Drop a scheduled call. */
  cancel(): void
  /** A call is waiting for its window. */
  readonly pending: boolean
}

/**
 * Leading + trailing throttle: the first call runs at once, later calls within the window are
 * merged into one run at the window's end. `run` takes no arguments on purpose: it should read
 * the latest state when it fires, so merged calls lose nothing.
 */
export function createThrottle(run: () => void, { intervalMs, now, timers }: ThrottleOptions): Throttle {
  const slot = createTimerSlot(timers)
  let lastRunAtMs = -Infinity

  const fire = (): void => {
    slot.clear()
    lastRunAtMs = now()
    run()
  }

  return {
    call() {
      if (slot.armed) return
      const waitMs = lastRunAtMs + intervalMs - now()
      if (waitMs <= 0) fire()
      else slot.arm(fire, waitMs)
    },
    flush() {
      if (slot.armed) fire()
    },
    cancel() {
      slot.clear()
    },
    get pending() {
      return slot.armed
    },
  }
}
