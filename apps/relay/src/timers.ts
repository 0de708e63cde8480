/** Opaque handle returned by {@link Timers}; only ever passed back to the same Timers. */
export type TimerHandle = unknown

/**
 * Time as the relay sees it. Injected so throttles, group commit, heartbeats and backoff can be
 * tested without sleeping.
 */
export interface Timers {
  now(): number
  setTimeout(callback: () => void, delayMs: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  setInterval(callback: () => void, intervalMs: number): TimerHandle
  clearInterval(handle: TimerHandle): void
}

/** The process clock and Node timers. Timers are unref'd: they never keep the process alive. */
export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (callback, intervalMs) => setInterval(callback, intervalMs).unref(),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
}
