import type { TimerHandle, Timers } from '../src/timers'

interface Scheduled {
  id: number
  atMs: number
  callback: () => void
  everyMs: number | null
}

/** A clock that only moves when the test says so (for unit tests of throttles and retries). */
export class ManualTimers implements Timers {
  private nowMs = 0
  private nextId = 1
  private scheduled = new Map<number, Scheduled>()

  now(): number {
    return this.nowMs
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.add(callback, delayMs, null)
  }
  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    return this.add(callback, intervalMs, intervalMs)
  }
  clearTimeout(handle: TimerHandle): void {
    this.scheduled.delete(handle as number)
  }
  clearInterval(handle: TimerHandle): void {
    this.scheduled.delete(handle as number)
  }
  /** Timers still pending. */
  get pending(): number {
    return this.scheduled.size
  }

  /** Moves the clock forward, firing due timers in order; awaits microtasks between them. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms
    for (;;) {
      await flushMicrotasks()
      const next = [...this.scheduled.values()].sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0]
      if (next === undefined || next.atMs > target) break
      this.nowMs = next.atMs
      if (next.everyMs === null) this.scheduled.delete(next.id)
      else next.atMs += next.everyMs
      next.callback()
    }
    this.nowMs = target
    await flushMicrotasks()
  }

  private add(callback: () => void, delayMs: number, everyMs: number | null): number {
    const id = this.nextId++
    this.scheduled.set(id, { id, atMs: this.nowMs + Math.max(0, delayMs), callback, everyMs })
    return id
  }
}

/** Lets pending promise callbacks run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}
