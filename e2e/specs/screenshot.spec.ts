// Takes the README's screenshot: two users editing one document, formatted content, the other
// user's caret visible. Runs only with UPDATE_SCREENSHOT=1, so ordinary runs never touch the tree.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import {
  clickInEditor,
  editor,
  expectSaved,
  expect,
  focusEnd,
  openUsers,
  pressNavigation,
  setUserColor,
  test,
  waitForConvergence,
} from '../support/test'

const SCREENSHOT_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots/editor.png')

test('README screenshot of two users editing', async ({ peers, docId }) => {
  test.skip(process.env.UPDATE_SCREENSHOT !== '1', 'set UPDATE_SCREENSHOT=1 to write screenshots/editor.png')
  const [a, g] = (await openUsers(peers, docId, 2, ['Ada', 'Grace'])) as [Page, Page]
  // Fixed colours, so a regenerated screenshot only changes when the UI does.
  await setUserColor(a, '#2f9e44')
  await setUserColor(g, '#7048e8')
  await a.getByTestId('doc-title').fill('Launch plan')

  await focusEnd(a)
  await a.keyboard.type('Launch plan')
  await a.getByTestId('toolbar-heading-1').click()
  await pressNavigation(a, 'End')
  await a.keyboard.press('Enter')
  await a.keyboard.type('Everything here is written by two people at once, and it ')
  await a.keyboard.press('ControlOrMeta+b')
  await a.keyboard.type('keeps working offline')
  await a.keyboard.press('ControlOrMeta+b')
  await a.keyboard.type('.\n')
  await a.getByTestId('toolbar-bullet-list').click()
  await a.keyboard.type('Draft the announcement\nReview with the team\nShip it')
  await waitForConvergence([a, g])

  // Grace puts her caret in the second paragraph and selects a word, so Ada sees her label.
  await clickInEditor(editor(g).locator('p', { hasText: 'Everything here' }))
  await pressNavigation(g, 'Home')
  await pressNavigation(g, 'ControlOrMeta+Shift+ArrowRight')
  await expect(editor(a).locator('.ProseMirror-yjs-cursor', { hasText: 'Grace' })).toBeVisible()
  await expect(a.getByTestId('presence-user')).toHaveCount(2)
  await focusEnd(a)
  await expectSaved(a)
  await a.setViewportSize({ width: 1280, height: 640 })
  await a.screenshot({ path: SCREENSHOT_PATH })
})
