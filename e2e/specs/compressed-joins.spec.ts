// WS_COMPRESSION=all: a large document's whole state reaches joiners compressed once a second
// one asked for the same version (apps/relay/src/rooms/full-state.ts). Chromium must take the
// relay's compressed frame: a joiner that could not would never show the document.
import type { Page } from '@playwright/test'
import { editor, expect, focusEnd, openUsers, test } from '../support/test'

const LINES = 400

test.describe('with WS_COMPRESSION=all', () => {
  test.use({ relayPerTest: true, relayEnv: { WS_COMPRESSION: 'all' } })

  test('joiners of a large document get it whole, compressed after the second, and can edit it', async ({ peers, docId }) => {
    const [writer] = (await openUsers(peers, docId, 1, ['Wanda Writer'])) as [Page]
    await focusEnd(writer)
    // ~16 KiB of text at least: the relay keeps (and so compresses) only large whole-document answers.
    const text = Array.from({ length: LINES }, (_, index) => `Line ${index + 1} of a document long enough to be sent compressed.`).join('\n')
    await writer.evaluate((pasted) => {
      const data = new DataTransfer()
      data.setData('text/plain', pasted)
      document.querySelector('.ProseMirror')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
    }, text)
    await expect(editor(writer).locator(':scope > p')).toHaveCount(LINES)
    // One after another, each in a fresh browser context (nothing in IndexedDB): the first two
    // get the plain answer and start its compression, the later ones the compressed one.
    const joiners: Page[] = []
    for (let index = 0; index < 4; index++) {
      const [joiner] = (await openUsers(peers, docId, 1)) as [Page]
      await expect(editor(joiner).locator(':scope > p')).toHaveCount(LINES)
      await expect(editor(joiner).locator(':scope > p').last()).toContainText(`Line ${LINES} of a document long enough to be sent compressed.`)
      joiners.push(joiner)
    }
    const last = joiners.at(-1)!
    await focusEnd(last)
    await last.keyboard.type(' Edited by the last joiner.')
    await expect(editor(writer).locator(':scope > p').last()).toContainText('Edited by the last joiner.')
  })
})
