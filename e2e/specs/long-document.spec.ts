// Long documents: the editor lets the browser skip rendering blocks outside the viewport
// (content-visibility), which must change nothing people see or do: text typed anywhere reaches
// everyone, and a remote caret's name label still shows above its block.
import type { Page } from '@playwright/test'
import { clickInEditor, editor, expect, focusEnd, openUsers, test, waitForConvergence } from '../support/test'

const LINES = 150

test('a long document renders lazily, and edits and remote caret labels still show', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2, ['Alice Long', 'Bob Long'])) as [Page, Page]

  // Alice pastes 150 lines: 150 paragraphs, more than the long-document threshold.
  await focusEnd(a)
  const text = Array.from({ length: LINES }, (_, index) => `Line ${index + 1} of the long document.`).join('\n')
  await a.evaluate((pasted) => {
    const data = new DataTransfer()
    data.setData('text/plain', pasted)
    document.querySelector('.ProseMirror')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
  }, text)
  for (const page of [a, b]) {
    await expect(editor(page).locator(':scope > p')).toHaveCount(LINES)
    await expect(editor(page)).toHaveClass(/\bis-long\b/)
    expect(await editor(page).locator(':scope > p').last().evaluate((block) => getComputedStyle(block).contentVisibility)).toBe('auto')
  }

  // Bob types at the very end (far off screen at first); Alice, still scrolled there, sees it.
  await focusEnd(b)
  await b.keyboard.type(' Bob was at the end.')
  await expect(editor(a).locator(':scope > p').last()).toContainText(`Line ${LINES} of the long document. Bob was at the end.`)

  // Alice puts her caret at the start of line 3; Bob scrolls up to it and sees her label
  // sticking out above the block, inside the block's clip margin (content-visibility clips
  // painting to the block otherwise).
  await clickInEditor(editor(a).locator(':scope > p').nth(2))
  await a.keyboard.press('Home')
  await b.keyboard.press('ControlOrMeta+Home')
  const label = editor(b).locator('.ProseMirror-yjs-cursor', { hasText: 'Alice Long' })
  await expect(label).toBeVisible()
  const geometry = await label.evaluate((caret) => {
    const block = caret.closest('.ProseMirror > *')!
    const name = caret.firstElementChild!
    return {
      blockTop: block.getBoundingClientRect().top,
      labelTop: name.getBoundingClientRect().top,
      clipMargin: Number.parseFloat(getComputedStyle(block).overflowClipMargin),
    }
  })
  expect(geometry.labelTop).toBeLessThan(geometry.blockTop)
  expect(geometry.blockTop - geometry.labelTop).toBeLessThanOrEqual(geometry.clipMargin)

  await waitForConvergence([a, b])
})
