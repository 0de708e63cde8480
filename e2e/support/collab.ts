// Helpers that drive and read the editor page through its test hooks (UI-CONTRACT.md):
// `.ProseMirror`, `[data-testid=connection-status]` and the `window.__collab` debug handle.
import { expect, type Locator, type Page } from '@playwright/test'
import * as Y from 'yjs'
import { pollFor } from './poll'

/** The parts of `window.__collab` the tests read. */
interface CollabDebugHandle {
  docId: string
  stateVector(): number[]
  docJSON(): unknown
  view: {
    state: {
      doc: { textBetween(from: number, to: number, blockSeparator?: string, leafText?: string): string; content: { size: number } }
      selection: { anchor: number; head: number }
    }
    posAtDOM(node: Node, offset: number): number
  }
}

declare global {
  interface Window {
    __collab?: CollabDebugHandle
  }
}

export type ConnectionState = 'online' | 'connecting' | 'offline'

/** Timeout for things that need the network and a relay round trip on a slow CI machine. */
export const SYNC_TIMEOUT_MS = 30_000

export function editor(page: Page): Locator {
  return page.locator('.ProseMirror')
}

export function connectionStatus(page: Page): Locator {
  return page.getByTestId('connection-status')
}

export async function expectConnection(page: Page, state: ConnectionState, timeoutMs = SYNC_TIMEOUT_MS): Promise<void> {
  await expect(connectionStatus(page), `connection status should become ${state}`).toHaveAttribute('data-state', state, {
    timeout: timeoutMs,
  })
}

/** Waits until the status says every local change is durable on the relay. */
export async function expectSaved(page: Page, timeoutMs = SYNC_TIMEOUT_MS): Promise<void> {
  await expect(connectionStatus(page), 'every local change should be saved on the relay').toHaveAttribute(
    'data-saved',
    'true',
    { timeout: timeoutMs },
  )
}

export interface OpenDocOptions {
  /** Wait for the status to be online (default). False for pages opened while offline. */
  online?: boolean
}

/** Waits for the editor of `docId` to be mounted on the current page (and online by default). */
export async function waitForEditor(page: Page, docId: string, options: OpenDocOptions = {}): Promise<void> {
  await expect(editor(page)).toBeVisible({ timeout: SYNC_TIMEOUT_MS })
  await page.waitForFunction((id) => window.__collab?.docId === id, docId, { timeout: SYNC_TIMEOUT_MS })
  if (options.online ?? true) await expectConnection(page, 'online')
}

/** Navigates to `/d/<docId>` and waits for the editor (and for the connection, by default). */
export async function openDoc(page: Page, docId: string, options: OpenDocOptions = {}): Promise<void> {
  await page.goto(`/d/${docId}`)
  await waitForEditor(page, docId, options)
}

/** Plain text of the document, one line per text block. */
export async function editorText(page: Page): Promise<string> {
  return await page.evaluate(() => {
    const handle = window.__collab
    if (handle === undefined) throw new Error('window.__collab is not set on this page')
    const doc = handle.view.state.doc
    return doc.textBetween(0, doc.content.size, '\n', ' ')
  })
}

/**
 * Text of each element matching `selector` inside the editor, as the user reads it: remote
 * cursor widgets (`.ProseMirror-yjs-cursor`, with the other user's name) and the word joiners
 * around them are left out.
 */
export async function editorDomTexts(page: Page, selector: string): Promise<string[]> {
  return await editor(page)
    .locator(selector)
    .evaluateAll((elements) =>
      elements.map((element) => {
        const copy = element.cloneNode(true) as Element
        for (const cursor of copy.querySelectorAll('.ProseMirror-yjs-cursor')) cursor.remove()
        return (copy.textContent ?? '').replace(/\u2060/g, '')
      }),
    )
}

/** `view.state.doc.toJSON()` of the page's editor. */
export async function docJSON(page: Page): Promise<unknown> {
  return await page.evaluate(() => {
    const handle = window.__collab
    if (handle === undefined) throw new Error('window.__collab is not set on this page')
    return handle.docJSON()
  })
}

/** The page's Yjs state vector (client id → clock). */
export async function stateVector(page: Page): Promise<Map<number, number>> {
  const bytes = await page.evaluate(() => {
    const handle = window.__collab
    if (handle === undefined) throw new Error('window.__collab is not set on this page')
    return handle.stateVector()
  })
  return Y.decodeStateVector(Uint8Array.from(bytes))
}

function formatStateVector(vector: Map<number, number>): string {
  return [...vector.entries()]
    .sort(([a], [b]) => a - b)
    .map(([client, clock]) => `${client}:${clock}`)
    .join(',')
}

export interface ConvergenceOptions {
  timeoutMs?: number
  /** Also require identical Yjs state vectors (default true). */
  stateVectors?: boolean
}

/**
 * Polls until every page shows the same ProseMirror document (and has the same Yjs state vector),
 * and returns that document. On timeout the error shows each page's text.
 */
export async function waitForConvergence(pages: readonly Page[], options: ConvergenceOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? SYNC_TIMEOUT_MS
  const compareVectors = options.stateVectors ?? true
  let converged: unknown = null
  await pollFor(
    async () => {
      const docs = await Promise.all(pages.map((page) => docJSON(page)))
      const serialized = docs.map((doc) => JSON.stringify(doc))
      const vectors = compareVectors ? (await Promise.all(pages.map((page) => stateVector(page)))).map(formatStateVector) : []
      const sameDocs = serialized.every((doc) => doc === serialized[0])
      const sameVectors = vectors.every((vector) => vector === vectors[0])
      if (sameDocs && sameVectors) {
        converged = docs[0]
        return { done: true, detail: '' }
      }
      const texts = await Promise.all(pages.map((page) => editorText(page)))
      const detail = pages
        .map(
          (_, index) =>
            `page ${index}: text ${JSON.stringify(texts[index])}${compareVectors ? `\n        state vector ${vectors[index]}` : ''}` +
            `\n        doc ${serialized[index]}`,
        )
        .join('\n')
      return { done: false, detail: `documents ${sameDocs ? 'agree' : 'differ'}, state vectors ${sameVectors ? 'agree' : 'differ'}:\n${detail}` }
    },
    { timeoutMs, intervalMs: 250, message: `${pages.length} pages to converge` },
  )
  return converged
}

/**
 * Waits until ProseMirror's selection matches the browser's. ProseMirror learns about caret
 * moves made by the browser (arrow keys, Home/End, clicks) from the asynchronous `selectionchange`
 * event, so a key pressed a millisecond later (faster than any person) would act on the old
 * selection.
 */
export async function waitForSelectionSync(page: Page, timeoutMs = SYNC_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction(
    () => {
      const view = window.__collab?.view
      const selection = document.getSelection()
      if (view === undefined || selection === null || selection.anchorNode === null || selection.focusNode === null) return false
      try {
        const anchor = view.posAtDOM(selection.anchorNode, selection.anchorOffset)
        const head = view.posAtDOM(selection.focusNode, selection.focusOffset)
        return view.state.selection.anchor === anchor && view.state.selection.head === head
      } catch {
        return false
      }
    },
    undefined,
    { timeout: timeoutMs, polling: 'raf' },
  )
}

/** Presses a key that moves the caret or selection (Home, End, arrows…) and waits for ProseMirror to see it. */
export async function pressNavigation(page: Page, key: string): Promise<void> {
  await page.keyboard.press(key)
  await waitForSelectionSync(page)
}

/** Clicks inside the editor and waits for ProseMirror to take over the caret. */
export async function clickInEditor(locator: Locator, options: { modifiers?: Array<'Shift' | 'ControlOrMeta'> } = {}): Promise<void> {
  await locator.click(options)
  await waitForSelectionSync(locator.page())
}

/** Puts the caret at the very end of the document. */
export async function focusEnd(page: Page): Promise<void> {
  await clickInEditor(editor(page))
  await pressNavigation(page, 'ControlOrMeta+End')
}

/**
 * `count` new users (a browser context each) with `docId` open, in order; `names`, when given,
 * become the first users' names. Returns their pages.
 */
export async function openUsers(
  peers: { open(count: number): Promise<ReadonlyArray<{ page: Page }>> },
  docId: string,
  count: number,
  names: readonly string[] = [],
): Promise<Page[]> {
  const pages = (await peers.open(count)).map((peer) => peer.page)
  for (const page of pages) await openDoc(page, docId)
  for (const [index, name] of names.entries()) await setUserName(pages[index] as Page, name)
  return pages
}

/** Sets the local user's name through the name input (remembered by the app). */
export async function setUserName(page: Page, name: string): Promise<void> {
  const input = page.getByTestId('user-name')
  await input.fill(name)
  await expect(input).toHaveValue(name)
}

/**
 * Waits until the page's service worker is active, which a first online visit must achieve
 * before the app shell can load offline. A worker that never activates is a product bug.
 */
export async function waitForServiceWorker(page: Page, timeoutMs = SYNC_TIMEOUT_MS): Promise<void> {
  const outcome = await page.evaluate(async (deadlineMs) => {
    if (!('serviceWorker' in navigator)) return 'this page has no navigator.serviceWorker'
    const timeout = new Promise<string>((resolve) =>
      setTimeout(() => resolve(`no active service worker within ${deadlineMs} ms`), deadlineMs),
    )
    const ready = navigator.serviceWorker.ready.then((registration) =>
      registration.active?.state === 'activated' || registration.active?.state === 'activating'
        ? 'ok'
        : `service worker state ${registration.active?.state ?? 'none'}`,
    )
    return await Promise.race([ready, timeout])
  }, timeoutMs)
  expect(outcome, 'the app shell service worker should be active after an online visit').toBe('ok')
}

/** Sets the local user's colour through the colour input (`#rrggbb`). */
export async function setUserColor(page: Page, color: string): Promise<void> {
  const input = page.getByTestId('user-color')
  await input.fill(color)
  await expect(input).toHaveValue(color)
}
