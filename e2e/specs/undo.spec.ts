// Undo is per user: it takes back only your own edits, never someone else's.
import type { Page } from '@playwright/test'
import { editorText, expect, focusEnd, openUsers, test, waitForConvergence } from '../support/test'

test('undo on one page does not undo the other user’s text', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2)) as [Page, Page]

  await focusEnd(a)
  await a.keyboard.type('alpha')
  await expect.poll(() => editorText(b)).toBe('alpha')
  await focusEnd(b)
  await b.keyboard.type(' beta')
  await expect.poll(() => editorText(a)).toBe('alpha beta')

  await a.keyboard.press('ControlOrMeta+z')
  for (const page of [a, b]) {
    await expect.poll(() => editorText(page), 'A’s undo removes only A’s text, on both pages').toBe(' beta')
  }
  await waitForConvergence([a, b])

  // Redo brings back A's text; B's undo then takes back only B's.
  await a.keyboard.press('ControlOrMeta+Shift+z')
  await expect.poll(() => editorText(b)).toBe('alpha beta')
  await b.keyboard.press('ControlOrMeta+z')
  for (const page of [a, b]) {
    await expect.poll(() => editorText(page), 'B’s undo removes only B’s text, on both pages').toBe('alpha')
  }
  await waitForConvergence([a, b])
})

test('the toolbar undo button also undoes only your own edits', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2)) as [Page, Page]

  await focusEnd(a)
  await a.keyboard.type('mine')
  await expect.poll(() => editorText(b)).toBe('mine')
  await focusEnd(b)
  await b.keyboard.type(' theirs')
  await expect.poll(() => editorText(a)).toBe('mine theirs')

  await a.getByTestId('toolbar-undo').click()
  for (const page of [a, b]) await expect.poll(() => editorText(page)).toBe(' theirs')
  await expect(b.getByTestId('toolbar-undo')).toBeEnabled()
  await waitForConvergence([a, b])
})
