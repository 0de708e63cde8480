// Waiting for a condition with a deadline instead of sleeping for a guessed time.

export interface PollOptions {
  timeoutMs: number
  /** Pause between attempts. */
  intervalMs?: number
  /** Says what was awaited; part of the error on timeout. */
  message: string
}

/** Thrown when a polled condition did not hold before its deadline. */
export class PollTimeoutError extends Error {
  override readonly name = 'PollTimeoutError'
  constructor(message: string, timeoutMs: number, lastDetail: string) {
    super(`Timed out after ${timeoutMs} ms waiting for ${message}${lastDetail ? `\n${lastDetail}` : ''}`)
  }
}

/**
 * Calls `check` until it returns true or the deadline passes. Exceptions from `check` count as
 * "not yet" (the last one is reported on timeout).
 */
export async function pollUntil(
  check: () => Promise<boolean> | boolean,
  options: PollOptions,
): Promise<void> {
  await pollFor(async () => ((await check()) ? { done: true, detail: '' } : { done: false, detail: '' }), options)
}

/**
 * Like {@link pollUntil}, but `check` also returns a description of the current state, shown in
 * the timeout error (e.g. the differing documents).
 */
export async function pollFor(
  check: () => Promise<{ done: boolean; detail: string }>,
  options: PollOptions,
): Promise<void> {
  const intervalMs = options.intervalMs ?? 100
  const deadline = Date.now() + options.timeoutMs
  let lastDetail = ''
  for (;;) {
    try {
      const result = await check()
      if (result.done) return
      lastDetail = result.detail
    } catch (error) {
      lastDetail = `last attempt threw: ${(error as Error).message}`
    }
    if (Date.now() >= deadline) throw new PollTimeoutError(options.message, options.timeoutMs, lastDetail)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
