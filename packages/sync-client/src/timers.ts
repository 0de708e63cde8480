import type { TimerHandle, Timers } from './api'

/** The global setTimeout/clearTimeout, bound so they can be called detached. */
export const realTimers: Timers = {
  setTimeout: (callback: () => void, delayMs: number): TimerHandle => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle: TimerHandle): void => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** One re-armable timeout slot: arming replaces any earlier pending callback. */
export interface TimerSlot {
  /** Runs `callback` after `delayMs` unless re-armed or cleared first. */
  arm(callback: () => void, delayMs: number): void
  clear(): void
  readonly armed: boolean
}

export function createTimerSlot(timers: Timers): TimerSlot {
  let handle: TimerHandle | null = null
  return {
    arm(callback, delayMs) {
      if (handle !== null) timers.clearTimeout(handle)
      handle = timers.setTimeout(() => {
        handle = null
        callback()
      }, delayMs)
    },
    clear() {
      if (handle !== null) timers.clearTimeout(handle)
      handle = null
    },
    get armed() {
      return handle !== null
    },
  }
}
