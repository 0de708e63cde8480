import type { TimerHandle, Timers } from '../src/api'

/** A manual clock: timers fire only inside `advance`, in due order. */
export class FakeClock implements Timers {
  private currentMs = 0
  private nextId = 1
  private readonly due = new Map<number, { atMs: number; callback: () => void }>()

  readonly now = (): number => this.currentMs

  readonly setTimeout = (callback: () => void, delayMs: number): TimerHandle => {
    const id = this.nextId++
    this.due.set(id, { atMs: this.currentMs + Math.max(0, delayMs), callback })
    return id
  }

  readonly clearTimeout = (handle: TimerHandle): void => {
    this.due.delete(handle as number)
  }

  /** Moves time forward by `ms`, running every timer that comes due (including ones they set). */
  advance(ms: number): void {
    const targetMs = this.currentMs + ms
    for (;;) {
      let nextId: number | null = null
      let nextAt = Infinity
      for (const [id, timer] of this.due) {
        if (timer.atMs <= targetMs && timer.atMs < nextAt) {
          nextAt = timer.atMs
          nextId = id
        }
      }
      if (nextId === null) break
      const timer = this.due.get(nextId)
      this.due.delete(nextId)
      this.currentMs = nextAt
      timer?.callback()
    }
    this.currentMs = targetMs
  }

  get pendingTimers(): number {
    return this.due.size
  }
}
