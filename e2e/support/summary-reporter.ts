// One summary line at the end of a run, and for each failed test the tail of the relay and
// browser logs the fixtures attached (the list reporter only prints their paths).
import { existsSync, readFileSync } from 'node:fs'
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter'

const LOG_ATTACHMENTS = new Set(['relay-log', 'browser-console'])
const TAIL_LINES = 80

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`
}

function tail(text: string, lines: number): string {
  const all = text.trimEnd().split('\n')
  const kept = all.slice(-lines)
  return (all.length > lines ? `… (${all.length - lines} earlier lines in the file)\n` : '') + kept.join('\n')
}

export default class SummaryReporter implements Reporter {
  private startMs = Date.now()
  private suite: Suite | null = null

  printsToStdio(): boolean {
    return true
  }

  onBegin(_config: FullConfig, suite: Suite): void {
    this.startMs = Date.now()
    this.suite = suite
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === test.expectedStatus) return
    const title = titleOf(test)
    for (const attachment of result.attachments) {
      if (!LOG_ATTACHMENTS.has(attachment.name) || attachment.path === undefined || !existsSync(attachment.path)) continue
      const text = readFileSync(attachment.path, 'utf8')
      if (text.trim() === '') continue
      process.stdout.write(
        `\n── ${attachment.name} of "${title}" (last ${TAIL_LINES} lines; ${attachment.path}) ──\n${tail(text, TAIL_LINES)}\n`,
      )
    }
  }

  onEnd(result: FullResult): void {
    // Outcomes are read at the end so a retried test counts once.
    const counts = { passed: 0, failed: 0, flaky: 0, skipped: 0 }
    const failed: string[] = []
    for (const test of this.suite?.allTests() ?? []) {
      const outcome = test.outcome()
      if (outcome === 'expected') counts.passed += 1
      else if (outcome === 'flaky') counts.flaky += 1
      else if (outcome === 'skipped') counts.skipped += 1
      else {
        counts.failed += 1
        failed.push(titleOf(test))
      }
    }
    const elapsed = formatDuration(Date.now() - this.startMs)
    const target = process.env.E2E_BASE_URL ? `against ${process.env.E2E_BASE_URL}` : 'against a relay started by the run'
    // The first line keeps the plain "N passed, N failed, N skipped" shape that CI log readers parse.
    process.stdout.write(
      `\ne2e: ${counts.passed + counts.flaky} passed, ${counts.failed} failed, ${counts.skipped} skipped\n` +
        `e2e took ${elapsed} ${target}; ${counts.flaky} flaky; run status ${result.status}\n` +
        failed.map((title) => `  failed: ${title}\n`).join(''),
    )
  }
}

function titleOf(test: TestCase): string {
  return test.titlePath().filter(Boolean).join(' › ')
}
