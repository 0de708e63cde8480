import { describe, expect, it, vi } from 'vitest'
import { createStateStore } from './state-store'
import { createThrottledStore, type ThrottleTimers } from './throttled-store'

/** A manual clock: timers fire only when the test advances it. */
function manualTimers(): ThrottleTimers & { advance(ms: number): void; pending(): number } {
  let nowMs = 0
  let queue: { at: number; callback: () => void; handle: number }[] = []
  let nextHandle = 1
  return {
    now: () => nowMs,
    setTimeout(callback, delayMs) {
      const handle = nextHandle++
      queue.push({ at: nowMs + delayMs, callback, handle })
      return handle
    },
    clearTimeout(handle) {
      queue = queue.filter((entry) => entry.handle !== handle)
    },
    advance(ms) {
      const until = nowMs + ms
      for (;;) {
        const due = queue.filter((entry) => entry.at <= until).sort((a, b) => a.at - b.at)[0]
        if (due === undefined) break
        queue = queue.filter((entry) => entry !== due)
        nowMs = due.at
        due.callback()
      }
      nowMs = until
    },
    pending: () => queue.length,
  }
}

describe('createThrottledStore', () => {
  it('publishes an isolated change at once and folds a burst into one trailing derivation', () => {
    const timers = manualTimers()
    const source = createStateStore(0)
    const derive = vi.fn((n: number) => n * 10)
    const store = createThrottledStore(source, derive, { intervalMs: 100, timers })
    const listener = vi.fn()
    store.subscribe(listener)
    derive.mockClear()

    source.set(1) // leading edge
    expect(store.get()).toBe(10)
    expect(listener).toHaveBeenCalledTimes(1)

    for (let n = 2; n <= 6; n++) {
      timers.advance(10)
      source.set(n)
    }
    // Within the interval: nothing derived, the old snapshot stays.
    expect(store.get()).toBe(10)
    expect(derive).toHaveBeenCalledTimes(1)
    timers.advance(50) // 100 ms after the leading publish
    expect(store.get()).toBe(60)
    expect(listener).toHaveBeenCalledTimes(2)
    expect(derive).toHaveBeenCalledTimes(2)

    // Quiet for longer than the interval: the next change is leading again.
    timers.advance(500)
    source.set(7)
    expect(store.get()).toBe(70)
    expect(listener).toHaveBeenCalledTimes(3)
  })

  it('notifies nobody when the derivation is equal, and keeps the previous snapshot object', () => {
    const timers = manualTimers()
    const source = createStateStore({ text: 'a', caret: 0 })
    const store = createThrottledStore(source, (state) => ({ bold: state.text.startsWith('*') }), {
      intervalMs: 100,
      timers,
      equals: (a, b) => a.bold === b.bold,
    })
    const listener = vi.fn()
    store.subscribe(listener)
    const first = store.get()
    source.set({ text: 'ab', caret: 1 })
    timers.advance(200)
    source.set({ text: 'abc', caret: 2 })
    timers.advance(200)
    expect(listener).not.toHaveBeenCalled()
    expect(store.get()).toBe(first)
    source.set({ text: '*abc', caret: 0 })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(store.get()).toEqual({ bold: true })
  })

  it('always ends on the latest value, even when the burst ends right after a publish', () => {
    const timers = manualTimers()
    const source = createStateStore('saved')
    const store = createThrottledStore(source, (status) => status, { intervalMs: 100, timers })
    store.subscribe(() => {})
    source.set('saving') // leading
    timers.advance(5)
    source.set('saved') // trailing at 100
    expect(store.get()).toBe('saving')
    timers.advance(95)
    expect(store.get()).toBe('saved')
    expect(timers.pending()).toBe(0)
  })

  it('stops listening to the source and drops its timer once the last subscriber leaves', () => {
    const timers = manualTimers()
    const source = createStateStore(1)
    const derive = vi.fn((n: number) => n)
    const store = createThrottledStore(source, derive, { intervalMs: 100, timers })
    const unsubscribe = store.subscribe(() => {})
    source.set(2)
    source.set(3) // schedules the trailing derivation
    expect(timers.pending()).toBe(1)
    unsubscribe()
    expect(timers.pending()).toBe(0)
    derive.mockClear()
    source.set(4)
    expect(derive).not.toHaveBeenCalled()
    // Unsubscribed readers still get the current value, and the same object while it is equal.
    expect(store.get()).toBe(4)
    const again = createThrottledStore(createStateStore({ n: 1 }), (value) => value, { intervalMs: 100, timers, equals: (a, b) => a.n === b.n })
    expect(again.get()).toBe(again.get())
  })
})
