// Records what browser contexts print, so a test can fail on any console error or warning and
// show the whole transcript when it fails.
import type { BrowserContext, ConsoleMessage } from '@playwright/test'

/** Console message types that fail a test. */
const FAILING_TYPES = new Set(['error', 'warning', 'assert'])

export interface ConsoleProblem {
  peer: string
  kind: 'console' | 'pageerror'
  type: string
  text: string
  location: string
}

interface Allowance {
  pattern: RegExp
  reason: string
}

function formatLocation(message: ConsoleMessage): string {
  const { url, lineNumber, columnNumber } = message.location()
  return url ? `${url}:${lineNumber}:${columnNumber}` : ''
}

/** Collects console output and uncaught page errors of every context it watches. */
export class ConsoleGuard {
  private readonly problems: ConsoleProblem[] = []
  private readonly transcript: string[] = []
  private readonly allowances: Allowance[] = []

  /** Watches every page of `context`, including pages opened later and reloads. */
  watch(context: BrowserContext, peer: string): void {
    context.on('console', (message) => {
      const location = formatLocation(message)
      const text = message.text()
      this.transcript.push(`[${peer}] ${message.type()}: ${text}${location ? `  (${location})` : ''}`)
      if (!FAILING_TYPES.has(message.type())) return
      this.record({ peer, kind: 'console', type: message.type(), text, location })
    })
    context.on('weberror', (webError) => {
      const error = webError.error()
      const text = error.stack ?? `${error.name}: ${error.message}`
      this.transcript.push(`[${peer}] pageerror: ${text}`)
      this.record({ peer, kind: 'pageerror', type: 'pageerror', text, location: webError.page()?.url() ?? '' })
    })
  }

  /**
   * Lets messages matching `pattern` through. Only for messages the browser itself prints about a
   * failure the test provokes on purpose (e.g. "WebSocket connection to … failed" while the
   * test has the relay stopped); never for the app's own errors.
   */
  allow(pattern: RegExp, reason: string): void {
    this.allowances.push({ pattern, reason })
  }

  /** Everything printed so far, one line per message. */
  get log(): string {
    return this.transcript.join('\n')
  }

  /** Errors and warnings that no allowance covers. */
  get failures(): readonly ConsoleProblem[] {
    return this.problems.filter((problem) => !this.allowances.some(({ pattern }) => pattern.test(problem.text)))
  }

  /** Errors and warnings let through by an allowance, with its reason. */
  get allowed(): string[] {
    return this.problems.flatMap((problem) => {
      const allowance = this.allowances.find(({ pattern }) => pattern.test(problem.text))
      return allowance === undefined ? [] : [`[${problem.peer}] ${problem.text}  (allowed: ${allowance.reason})`]
    })
  }

  /** A readable list of the failures, or null when there are none. */
  describeFailures(): string | null {
    const failures = this.failures
    if (failures.length === 0) return null
    const lines = failures.map(
      (problem, index) =>
        `  ${index + 1}. [${problem.peer}] ${problem.kind === 'pageerror' ? 'uncaught error' : `console.${problem.type}`}: ` +
        `${problem.text}${problem.location ? `\n     at ${problem.location}` : ''}`,
    )
    return `The browser reported ${failures.length} error(s)/warning(s); every test fails on these:\n${lines.join('\n')}`
  }

  private record(problem: ConsoleProblem): void {
    this.problems.push(problem)
  }
}
