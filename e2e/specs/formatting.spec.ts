// Formatting made on one page shows up, as real markup, on another user's page.
import type { Page } from '@playwright/test'
import {
  clickInEditor,
  editor,
  editorDomTexts,
  expect,
  focusEnd,
  openUsers,
  pressNavigation,
  test,
  waitForConvergence,
} from '../support/test'


test('bold via the toolbar and via Mod-b appears on the other page', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2)) as [Page, Page]
  const bold = a.getByTestId('toolbar-bold')

  await focusEnd(a)
  await a.keyboard.type('bold by toolbar')
  await pressNavigation(a, 'Shift+Home')
  await bold.click()
  await expect(bold).toHaveAttribute('aria-pressed', 'true')
  await expect.poll(() => editorDomTexts(b, 'strong')).toEqual(['bold by toolbar'])

  await pressNavigation(a, 'End')
  await a.keyboard.press('Enter')
  await expect(bold).toHaveAttribute('aria-pressed', 'false')
  await a.keyboard.press('ControlOrMeta+b')
  await a.keyboard.type('bold by keys')
  await a.keyboard.press('ControlOrMeta+b')
  await a.keyboard.type(' then plain')
  await expect(bold).toHaveAttribute('aria-pressed', 'false')

  await expect.poll(() => editorDomTexts(b, 'strong')).toEqual(['bold by toolbar', 'bold by keys'])
  await expect.poll(() => editorDomTexts(b, 'p')).toEqual(['bold by toolbar', 'bold by keys then plain'])
  await waitForConvergence([a, b])
})

test('a heading made on one page is an h1 on the other', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2)) as [Page, Page]
  await focusEnd(a)
  await a.keyboard.type('A title')
  await a.getByTestId('toolbar-heading-1').click()
  await expect(a.getByTestId('toolbar-heading-1')).toHaveAttribute('aria-pressed', 'true')
  await pressNavigation(a, 'End')
  await a.keyboard.press('Enter')
  await a.keyboard.type('body text')

  await expect.poll(() => editorDomTexts(b, 'h1')).toEqual(['A title'])
  await expect.poll(() => editorDomTexts(b, 'p')).toEqual(['body text'])
  await waitForConvergence([a, b])
})

test('bullet and ordered lists made on one page are lists on the other', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2)) as [Page, Page]
  await focusEnd(a)
  await a.keyboard.type('bullet one\nbullet two\nnumber one\nnumber two')
  await expect(editor(a).locator('p')).toHaveCount(4)

  // Select the first two paragraphs and make them a bullet list.
  await clickInEditor(editor(a).locator('p', { hasText: 'bullet one' }))
  await pressNavigation(a, 'Home')
  await clickInEditor(editor(a).locator('p', { hasText: 'bullet two' }), { modifiers: ['Shift'] })
  await a.getByTestId('toolbar-bullet-list').click()
  await expect(a.getByTestId('toolbar-bullet-list')).toHaveAttribute('aria-pressed', 'true')

  // And the last two an ordered list.
  await clickInEditor(editor(a).locator('p', { hasText: 'number one' }))
  await pressNavigation(a, 'Home')
  await clickInEditor(editor(a).locator('p', { hasText: 'number two' }), { modifiers: ['Shift'] })
  await a.getByTestId('toolbar-ordered-list').click()
  await expect(a.getByTestId('toolbar-ordered-list')).toHaveAttribute('aria-pressed', 'true')

  await expect.poll(() => editorDomTexts(b, 'ul > li')).toEqual(['bullet one', 'bullet two'])
  await expect.poll(() => editorDomTexts(b, 'ol > li')).toEqual(['number one', 'number two'])
  await waitForConvergence([a, b])
})
