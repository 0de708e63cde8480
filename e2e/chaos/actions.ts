// Runs one planned user action on a page through the keyboard, the mouse and the toolbar.
// What the action does exactly depends on the live document (where the caret is, what the
// others just typed); positions come from the plan as counts and fractions.
import type { Page } from '@playwright/test'
import { editor, waitForSelectionSync } from '../support/collab'
import type { ActionSpec, BlockTarget, MarkName, PasteShape } from './plan'
import { type CaretInfo, caretInfo, clickPoint, historyState, pasteInto, refusalTotal, safeSpan, waitForLocalMarker } from './probe'

export type ActionOutcome = 'done' | 'skipped' | 'refused'

/** What an action needs from the page it runs on. */
export interface ActionTarget {
  readonly page: Page
  /** Allocates this writer's next marker token. */
  nextMarker(): string
}

/** Selection sync normally takes a frame; a selection Chromium cannot map back (rare) is not worth a stall. */
const SELECTION_SETTLE_MS = 3_000
/** A toolbar button that stays disabled (the selection moved) is skipped rather than waited for. */
const TOOLBAR_CLICK_MS = 3_000
/** Longest walk with the arrow keys to the start of a paragraph before giving up on a join. */
const MAX_WALK_CHARS = 40

const MARK_KEYS: Record<MarkName, string> = {
  bold: 'ControlOrMeta+b',
  italic: 'ControlOrMeta+i',
  strike: 'ControlOrMeta+Shift+s',
  code: 'ControlOrMeta+e',
}

async function settleSelection(page: Page): Promise<void> {
  await waitForSelectionSync(page, SELECTION_SETTLE_MS).catch(() => undefined)
}

async function pressTimes(page: Page, key: string, times: number): Promise<void> {
  for (let index = 0; index < times; index++) await page.keyboard.press(key)
  await settleSelection(page)
}

/** Clicks into the editor and puts the caret at the end of the document, as a user coming back to it. */
export async function focusEditor(page: Page): Promise<void> {
  // Playwright's own click: it scrolls past the sticky toolbar; remote carets are inside the editor.
  await editor(page).click()
  await settleSelection(page)
  await pressTimes(page, 'ControlOrMeta+End', 1)
}

/**
 * Makes the caret usable for typing: the editor focused, the selection collapsed, not inside a
 * marker (typing there would break the token; the in-page guard would refuse it anyway).
 */
async function prepareCaret(page: Page): Promise<CaretInfo> {
  let info = await caretInfo(page)
  if (!info.focused) {
    await focusEditor(page)
    info = await caretInfo(page)
  }
  if (!info.collapsed) {
    await pressTimes(page, 'ArrowRight', 1)
    info = await caretInfo(page)
  }
  // ArrowRight can need an extra press to pass a widget (a remote caret): check again.
  for (let attempt = 0; attempt < 3 && info.insideMarkerBy > 0; attempt++) {
    await pressTimes(page, 'ArrowRight', info.insideMarkerBy)
    info = await caretInfo(page)
  }
  return info
}

async function clickToolbar(page: Page, name: string): Promise<ActionOutcome> {
  const button = page.getByTestId(`toolbar-${name}`)
  if (!(await button.isEnabled())) return 'skipped'
  try {
    await button.click({ timeout: TOOLBAR_CLICK_MS })
  } catch {
    return 'skipped'
  }
  return 'done'
}

async function typeMarker(target: ActionTarget, insert: (token: string) => Promise<boolean>): Promise<ActionOutcome> {
  const token = target.nextMarker()
  const before = await refusalTotal(target.page)
  if (!(await insert(token))) return 'refused'
  return (await waitForLocalMarker(target.page, token, before)) ? 'done' : 'refused'
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function pasteContent(shape: PasteShape, words: readonly string[], marker: string | null): { html: string; text: string } {
  const parts = [...words]
  if (marker !== null) parts.splice(Math.ceil(parts.length / 2), 0, marker)
  const text = ` ${parts.join(' ')} `
  switch (shape) {
    case 'plain':
      return { html: '', text }
    case 'html-inline': {
      const html = parts.map((part, index) => (index === 1 ? `<strong>${escapeHtml(part)}</strong>` : escapeHtml(part))).join(' ')
      return { html: `<meta charset="utf-8"><span> ${html} </span>`, text }
    }
    case 'html-blocks': {
      const middle = Math.ceil(parts.length / 2)
      const first = parts.slice(0, middle).map(escapeHtml).join(' ')
      const second = parts.slice(middle).map(escapeHtml).join(' ')
      return { html: `<meta charset="utf-8"><p>${first}</p><p><em>${second}</em></p>`, text }
    }
  }
}

async function paste(target: ActionTarget, spec: Extract<ActionSpec, { kind: 'paste' }>): Promise<ActionOutcome> {
  await prepareCaret(target.page)
  if (!spec.withMarker) {
    const { html, text } = pasteContent(spec.shape, spec.words, null)
    return (await pasteInto(target.page, html, text)) ? 'done' : 'refused'
  }
  return await typeMarker(target, async (token) => {
    const { html, text } = pasteContent(spec.shape, spec.words, token)
    return await pasteInto(target.page, html, text)
  })
}

async function move(page: Page, spec: Extract<ActionSpec, { kind: 'move' }>): Promise<ActionOutcome> {
  if (!(await caretInfo(page)).focused) await focusEditor(page)
  switch (spec.how) {
    case 'left':
      await pressTimes(page, 'ArrowLeft', spec.count)
      break
    case 'right':
      await pressTimes(page, 'ArrowRight', spec.count)
      break
    case 'up':
      await pressTimes(page, 'ArrowUp', Math.ceil(spec.count / 3))
      break
    case 'down':
      await pressTimes(page, 'ArrowDown', Math.ceil(spec.count / 3))
      break
    case 'home':
      await pressTimes(page, 'Home', 1)
      break
    case 'end':
      await pressTimes(page, 'End', 1)
      break
    case 'doc-start':
      await pressTimes(page, 'ControlOrMeta+Home', 1)
      break
    case 'doc-end':
      await pressTimes(page, 'ControlOrMeta+End', 1)
      break
    case 'click': {
      const point = await clickPoint(page, spec.fraction)
      if (point === null) return 'skipped'
      await page.mouse.click(point.x, point.y)
      await settleSelection(page)
      break
    }
  }
  await prepareCaret(page)
  return 'done'
}

async function deleteRange(page: Page, spec: Extract<ActionSpec, { kind: 'delete' }>): Promise<ActionOutcome> {
  await prepareCaret(page)
  const length = await safeSpan(page, spec.direction, spec.length)
  if (length === 0) return 'skipped'
  await pressTimes(page, spec.direction === 'backward' ? 'Shift+ArrowLeft' : 'Shift+ArrowRight', length)
  await page.keyboard.press('Backspace')
  return 'done'
}

async function join(page: Page): Promise<ActionOutcome> {
  let info = await prepareCaret(page)
  if (!info.inTextblock) return 'skipped'
  if (info.offset > 0) {
    await pressTimes(page, info.offset <= MAX_WALK_CHARS ? 'ArrowLeft' : 'Home', info.offset <= MAX_WALK_CHARS ? info.offset : 1)
    info = await caretInfo(page)
    if (!info.collapsed || info.offset !== 0) return 'skipped'
  }
  await page.keyboard.press('Backspace')
  return 'done'
}

async function setBlock(page: Page, target: BlockTarget): Promise<ActionOutcome> {
  const info = await prepareCaret(page)
  // A rule goes in at the caret and splits the text there; the keyboard guard does not see
  // toolbar clicks, so never insert one inside a marker (that would "lose" it by splitting).
  if (target === 'horizontal-rule' && (info.insideMarkerBy > 0 || !info.collapsed)) return 'skipped'
  return await clickToolbar(page, target)
}

async function mark(page: Page, spec: Extract<ActionSpec, { kind: 'mark' }>): Promise<ActionOutcome> {
  const info = await prepareCaret(page)
  const length = Math.min(spec.length, info.inTextblock ? info.offset : 0)
  if (length > 0) await pressTimes(page, 'Shift+ArrowLeft', length)
  if (spec.via === 'key') await page.keyboard.press(MARK_KEYS[spec.mark])
  else if ((await clickToolbar(page, spec.mark)) === 'skipped') return 'skipped'
  if (length > 0) {
    await pressTimes(page, 'ArrowRight', 1)
  } else {
    await prepareCaret(page)
    await page.keyboard.type(spec.thenType)
  }
  return 'done'
}

async function history(page: Page, spec: Extract<ActionSpec, { kind: 'undo' | 'redo' }>): Promise<ActionOutcome> {
  if (!(await caretInfo(page)).focused) await focusEditor(page)
  const state = await historyState(page)
  if (spec.kind === 'undo' ? !state.canUndo : !state.canRedo) return 'skipped'
  if (spec.via === 'toolbar') return await clickToolbar(page, spec.kind)
  await page.keyboard.press(spec.kind === 'undo' ? 'ControlOrMeta+z' : 'ControlOrMeta+Shift+z')
  return 'done'
}

/** Runs `spec` on the target page. */
export async function runAction(target: ActionTarget, spec: ActionSpec): Promise<ActionOutcome> {
  const page = target.page
  switch (spec.kind) {
    case 'type':
      await prepareCaret(page)
      await page.keyboard.type(spec.text, { delay: spec.keyDelayMs })
      return 'done'
    case 'marker':
      await prepareCaret(page)
      return await typeMarker(target, async (token) => {
        await page.keyboard.insertText(token)
        return true
      })
    case 'paste':
      return await paste(target, spec)
    case 'enter':
      await prepareCaret(page)
      await page.keyboard.press('Enter')
      return 'done'
    case 'move':
      return await move(page, spec)
    case 'delete':
      return await deleteRange(page, spec)
    case 'join':
      return await join(page)
    case 'block':
      return await setBlock(page, spec.target)
    case 'mark':
      return await mark(page, spec)
    case 'undo':
    case 'redo':
      return await history(page, spec)
  }
}
