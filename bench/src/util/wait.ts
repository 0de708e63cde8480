import { sleep } from './clock'

/** A condition was not reached before its deadline. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
  constructor(what: string, timeoutMs: number) {
    super(`${what} did not happen within ${timeoutMs} ms`)
  }
}

/** Polls `check` until it returns a value other than undefined/false, or throws at the deadline. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new DeadlineError(options.what, options.timeoutMs)
    await sleep(options.intervalMs ?? 20)
  }
}

/** Rejects with a DeadlineError when `promise` has not settled within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, timeoutMs)), timeoutMs)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}
