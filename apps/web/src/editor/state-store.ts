/**
 * The latest value of something that changes far more often than most of the page cares about
 * (the editor state: every keystroke). Kept outside React so that only the components that read
 * it re-render, through `useSyncExternalStore`, instead of the whole editor page per transaction.
 */
export interface StateStore<T> {
  get(): T
  set(value: T): void
  /** Returns the function that unsubscribes (the shape `useSyncExternalStore` expects). */
  subscribe(listener: () => void): () => void
}

export function createStateStore<T>(initial: T): StateStore<T> {
  let current = initial
  const listeners = new Set<() => void>()
  return {
    get: () => current,
    set(value) {
      if (Object.is(value, current)) return
      current = value
      for (const listener of [...listeners]) listener()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
