import { describe, expect, it, vi } from 'vitest'
import { createStateStore } from './state-store'

describe('createStateStore', () => {
  it('hands out the latest value and tells subscribers about changes only', () => {
    const store = createStateStore<{ n: number } | null>(null)
    const listener = vi.fn()
    const unsubscribe = store.subscribe(listener)
    const first = { n: 1 }
    store.set(first)
    store.set(first)
    expect(store.get()).toBe(first)
    expect(listener).toHaveBeenCalledTimes(1)
    unsubscribe()
    store.set({ n: 2 })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(store.get()).toEqual({ n: 2 })
  })

  it('lets a listener unsubscribe while being notified', () => {
    const store = createStateStore(0)
    const calls: string[] = []
    const unsubscribeA = store.subscribe(() => {
      calls.push('a')
      unsubscribeA()
    })
    store.subscribe(() => calls.push('b'))
    store.set(1)
    store.set(2)
    expect(calls).toEqual(['a', 'b', 'b'])
  })
})
