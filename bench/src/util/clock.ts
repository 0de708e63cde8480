/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution. Every process of the bench
 * (runner, load workers, browser pages) stamps with `timeOrigin + now()`, so timestamps taken in
 * different processes on this machine share one clock.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
