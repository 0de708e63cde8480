/**
 * What React reads through `useSyncExternalStore`: the current snapshot and change notifications.
 */
export interface ReadableStore<T> {
  get(): T
  /** Returns the function that unsubscribes. */
  subscribe(listener: () => void): () => void
}

/**
 * How late the toolbar and the status badge may show a change while changes keep coming: short
 * enough to go unnoticed, long enough to skip most keystrokes of fast typing.
 */
export const UI_REFRESH_INTERVAL_MS = 100

/** The clock and timer a throttled store uses (injected by tests). */
export interface ThrottleTimers {
  now(): number
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(handle: unknown): void
}

const browserTimers: ThrottleTimers = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface ThrottledStoreOptions<T> {
  /** At most one derivation (and one notification) per this interval while the source changes. */
  intervalMs: number
  /** Snapshots that are equal keep the previous one, and nobody is told. Default `Object.is`. */
  equals?: (a: T, b: T) => boolean
  timers?: ThrottleTimers
}

/**
 * A derived view of `source` that React may subscribe to without paying for every change.
 *
 * Every React commit while the editor has focus costs time proportional to the document:
 * React DOM records the selection of a focused contenteditable before it mutates anything, by
 * walking the editor's DOM from its start to the caret (1–2 ms per commit at the end of a
 * 100k-character document, scenario 7 profile). The editor state changes with every keystroke
 * and the save status twice (pending, then confirmed), so re-rendering on each change put up to
 * three such walks, plus the toolbar's command checks (also proportional to the document), before
 * every keystroke could paint.
 *
 * So: an isolated change is derived and published at once (leading edge); changes that follow
 * within `intervalMs` are folded into one derivation at the end of the interval (trailing edge),
 * which always reads the source's latest value, so what is shown is late by at most `intervalMs`
 * and never wrong for longer. A derivation equal to the current snapshot notifies nobody: while
 * someone types, the toolbar's buttons and the "Saving…" badge mostly stay as they are.
 */
export function createThrottledStore<S, T>(
  source: ReadableStore<S>,
  derive: (value: S) => T,
  options: ThrottledStoreOptions<T>,
): ReadableStore<T> {
  const { intervalMs } = options
  const equals = options.equals ?? Object.is
  const timers = options.timers ?? browserTimers
  const listeners = new Set<() => void>()
  let current = derive(source.get())
  let lastDerivedMs = Number.NEGATIVE_INFINITY
  let timer: unknown = null
  let unsubscribeSource: (() => void) | null = null

  /** Derives from the source's latest value; true when the snapshot changed. */
  const refresh = (): boolean => {
    const next = derive(source.get())
    if (equals(current, next)) return false
    current = next
    return true
  }

  const publish = (): void => {
    timer = null
    lastDerivedMs = timers.now()
    if (!refresh()) return
    for (const listener of [...listeners]) listener()
  }

  const onSourceChange = (): void => {
    if (timer !== null) return
    const waitMs = lastDerivedMs + intervalMs - timers.now()
    if (waitMs <= 0) publish()
    else timer = timers.setTimeout(publish, waitMs)
  }

  return {
    get() {
      // Unsubscribed, nothing keeps `current` fresh: derive now (equal results keep the old
      // snapshot, as `useSyncExternalStore` requires between changes).
      if (unsubscribeSource === null) refresh()
      return current
    },
    subscribe(listener) {
      listeners.add(listener)
      if (unsubscribeSource === null) {
        unsubscribeSource = source.subscribe(onSourceChange)
        // The source may have changed since the last read; a subscriber reads `get()` after
        // subscribing (as `useSyncExternalStore` does), so it sees the fresh snapshot.
        refresh()
      }
      return () => {
        listeners.delete(listener)
        if (listeners.size > 0 || unsubscribeSource === null) return
        unsubscribeSource()
        unsubscribeSource = null
        if (timer !== null) timers.clearTimeout(timer)
        timer = null
      }
    },
  }
}
