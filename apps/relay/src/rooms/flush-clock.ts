import type { TimerHandle, Timers } from '../timers'

/**
 * The group-commit timer the rooms share. A room with updates queued asks for the next tick; the
 * tick comes `intervalMs` after the first request and flushes every room that asked meanwhile,
 * one after another in one macrotask. Their appends then reach the store in the same tick, and
 * the store writes them together: SqliteDocStore 100 per transaction (about a third of the
 * event-loop time of one transaction per room, with a thousand rooms typing), PostgresDocStore
 * one statement per 100 documents. No room waits longer than `intervalMs`.
 */
export class FlushClock {
  private readonly due = new Set<() => void>()
  private timer: TimerHandle | null = null

  constructor(
    private readonly timers: Timers,
    readonly intervalMs: number,
  ) {}

  /** Calls `flush` at the next tick (once, however often it is requested before). */
  request(flush: () => void): void {
    this.due.add(flush)
    this.timer ??= this.timers.setTimeout(() => this.tick(), this.intervalMs)
  }

  /** Forgets a request; the timer stops when nobody is left waiting. */
  cancel(flush: () => void): void {
    if (!this.due.delete(flush) || this.due.size > 0 || this.timer === null) return
    this.timers.clearTimeout(this.timer)
    this.timer = null
  }

  private tick(): void {
    this.timer = null
    const due = [...this.due]
    this.due.clear()
    for (const flush of due) flush()
  }
}
