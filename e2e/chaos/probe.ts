// The test side of the chaos probe: installs the in-page half (probe-page.ts) and reads it.
import { type BrowserContext, errors, type Page } from '@playwright/test'
import { MARKER_PATTERN } from './markers'
import { installProbe } from './probe-page'
import type { CaretInfo, ChaosProbe, ClickPoint, ProbeConfig, ProbeDrain } from './probe-types'

export type { CaretInfo, ClickPoint, MarkerEvent, ProbeDrain, TransactionCause } from './probe-types'

/** Installs the probe for `writer` on the page's mounted editor, unless the init script did already. */
export async function installChaosProbe(page: Page, writer: string): Promise<void> {
  await page.evaluate(installProbe, { writer, markerPattern: MARKER_PATTERN })
}

/**
 * Makes every page of `context` install the probe the moment the app publishes
 * `window.__collab` (before any user action, and again after every reload), so no transaction of
 * a freshly loaded editor goes unobserved.
 */
export async function installChaosProbeOnLoad(context: BrowserContext, writer: string): Promise<void> {
  const config: ProbeConfig = { writer, markerPattern: MARKER_PATTERN }
  await context.addInitScript({
    content: `(() => {
      const install = ${installProbe.toString()};
      const config = ${JSON.stringify(config)};
      let handle;
      Object.defineProperty(window, '__collab', {
        configurable: true,
        enumerable: true,
        get: () => handle,
        set: (value) => {
          handle = value;
          if (value !== undefined) {
            try { install(config); } catch (error) { window.__chaosInstallError = String(error); }
          }
        },
      });
    })();`,
  })
}

export async function drainProbe(page: Page): Promise<ProbeDrain> {
  return await page.evaluate(() => (window.__chaos as ChaosProbe).drain())
}

export async function caretInfo(page: Page): Promise<CaretInfo> {
  return await page.evaluate(() => (window.__chaos as ChaosProbe).caret())
}

export async function safeSpan(page: Page, direction: 'backward' | 'forward', wanted: number): Promise<number> {
  return await page.evaluate(([d, w]) => (window.__chaos as ChaosProbe).safeSpan(d, w), [direction, wanted] as const)
}

export async function clickPoint(page: Page, fraction: number): Promise<ClickPoint | null> {
  return await page.evaluate((f) => (window.__chaos as ChaosProbe).clickPoint(f), fraction)
}

export async function pasteInto(page: Page, html: string, text: string): Promise<boolean> {
  return await page.evaluate(([h, t]) => (window.__chaos as ChaosProbe).paste(h, t), [html, text] as const)
}

export async function markerCounts(page: Page): Promise<Record<string, number>> {
  return await page.evaluate(() => (window.__chaos as ChaosProbe).counts())
}

export async function historyState(page: Page): Promise<{ canUndo: boolean; canRedo: boolean }> {
  return await page.evaluate(() => {
    const probe = window.__chaos as ChaosProbe
    return { canUndo: probe.canUndo(), canRedo: probe.canRedo() }
  })
}

/** A marker was typed, the guard did not refuse it, and it never reached the typist's own document. */
export class LostInputError extends Error {
  override readonly name = 'LostInputError'
  constructor(marker: string, timeoutMs: number) {
    super(`typed ${marker} never reached the typist's own document within ${timeoutMs} ms, and the guard did not refuse it: the input was lost`)
  }
}

/**
 * Waits until the page's own local transaction has put `marker` into the document (true), or the
 * guard refused the input (false); throws {@link LostInputError} when neither happens in time.
 */
export async function waitForLocalMarker(page: Page, marker: string, refusalsBefore: number, timeoutMs = 10_000): Promise<boolean> {
  try {
    const handle = await page.waitForFunction(
      ([token, before]) => {
        const probe = window.__chaos
        if (probe === undefined) return null
        if (probe.localSeen.has(token)) return 'typed'
        return probe.refusalTotal > before ? 'refused' : null
      },
      [marker, refusalsBefore] as const,
      { timeout: timeoutMs, polling: 'raf' },
    )
    return (await handle.jsonValue()) === 'typed'
  } catch (error) {
    if (error instanceof errors.TimeoutError) throw new LostInputError(marker, timeoutMs)
    throw error
  }
}

export async function refusalTotal(page: Page): Promise<number> {
  return await page.evaluate(() => (window.__chaos as ChaosProbe).refusalTotal)
}
