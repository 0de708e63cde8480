// Users see each other: a remote caret labelled with the other user's name, and a presence bar
// that lists everyone in the document.
import type { Page } from '@playwright/test'
import {
  editor,
  editorText,
  expect,
  focusEnd,
  openDoc,
  openUsers,
  pressNavigation,
  setUserName,
  test,
  waitForConvergence,
  waitForEditor,
} from '../support/test'

/**
 * Both users type; each sees the other's caret with their name, and the other's text. `names`
 * are the ones the pages were opened with (openUsers).
 */
async function typeAndSeeEachOther(a: Page, b: Page, names: readonly [string, string]): Promise<void> {
  await focusEnd(a)
  await a.keyboard.type('Alice was here. ')
  await focusEnd(b)
  await b.keyboard.type('Bob too.')
  await expect(editor(b).locator('.ProseMirror-yjs-cursor', { hasText: names[0] })).toBeVisible()
  await expect(editor(a).locator('.ProseMirror-yjs-cursor', { hasText: names[1] })).toBeVisible()
  await expect(editor(b)).toContainText('Alice was here.')
  await expect(editor(a)).toContainText('Bob too.')
}

test('a remote cursor with the other user’s name is visible, and both users are present', async ({ peers, docId }) => {
  const [a, b] = (await openUsers(peers, docId, 2, ['Alice Example', 'Bob Example'])) as [Page, Page]
  // Bob sees Alice's caret with her name, and Alice sees Bob's.
  await typeAndSeeEachOther(a, b, ['Alice Example', 'Bob Example'])
  // No page shows its own user's caret as a remote one.
  await expect(editor(a).locator('.ProseMirror-yjs-cursor', { hasText: 'Alice Example' })).toHaveCount(0)

  for (const [page, self, other] of [
    [a, 'Alice Example', 'Bob Example'],
    [b, 'Bob Example', 'Alice Example'],
  ] as const) {
    const users = page.getByTestId('presence').getByTestId('presence-user')
    await expect(users).toHaveCount(2)
    await expect(users.filter({ hasText: self })).toHaveAttribute('data-self', 'true')
    await expect(users.filter({ hasText: other })).toHaveAttribute('data-self', 'false')
  }
})

// A remote caret is a widget (contenteditable=false) drawn at the other user's position; when both
// carets are at the very start of a block, the local one sits just in front of it. Typing there
// must reach the document: in a code block drawn as <pre><code>, Chromium put the text outside the
// <code> and it vanished (chaos seed 3238820903).
test.describe('typing at the start of a block where another user’s caret sits', () => {
  for (const block of ['paragraph', 'heading-1', 'code-block', 'blockquote', 'bullet-list'] as const) {
    test(`keeps every character in a ${block}`, async ({ peers, docId }) => {
      const [a, b] = (await openUsers(peers, docId, 2, ['Typist', 'Watcher'])) as [Page, Page]
      await focusEnd(a)
      await a.keyboard.type('second half')
      if (block !== 'paragraph') await a.getByTestId(`toolbar-${block}`).click()
      await waitForConvergence([a, b])
      await focusEnd(b)
      await pressNavigation(b, 'ControlOrMeta+Home')
      await pressNavigation(a, 'ControlOrMeta+Home')
      await expect(editor(a).locator('.ProseMirror-yjs-cursor', { hasText: 'Watcher' })).toBeVisible()

      await a.keyboard.type('typed ')
      await a.keyboard.insertText('[[inserted]] ')
      for (const page of [a, b]) await expect.poll(() => editorText(page)).toBe('typed [[inserted]] second half')
      await waitForConvergence([a, b])
    })
  }
})

test('the user name is remembered across a reload', async ({ peers, docId }) => {
  const [peer] = await peers.open(1)
  const page = peer!.page
  await openDoc(page, docId)
  await setUserName(page, 'Remembered Name')
  await page.reload()
  await waitForEditor(page, docId)
  await expect(page.getByTestId('user-name')).toHaveValue('Remembered Name')
  await expect(page.getByTestId('presence-user').filter({ hasText: 'Remembered Name' })).toHaveAttribute('data-self', 'true')
})

test('a user who leaves disappears from the others’ presence bar', async ({ peers, docId }) => {
  const [stays, leaves] = await peers.open(2)
  await openDoc(stays!.page, docId)
  await openDoc(leaves!.page, docId)
  await setUserName(stays!.page, 'Stays')
  await setUserName(leaves!.page, 'Leaves')
  await expect(stays!.page.getByTestId('presence-user')).toHaveCount(2)
  await peers.close(leaves!)
  await expect(stays!.page.getByTestId('presence-user')).toHaveCount(1)
  await expect(stays!.page.getByTestId('presence-user')).toHaveText('Stays')
})

const WIRE_NAMES = ['Alice Wire', 'Bob Wire'] as const

/** The extensions Chromium itself negotiates with the relay at `baseUrl`. */
function negotiatedExtensions(page: Page, baseUrl: string, docId: string): Promise<string> {
  return page.evaluate(
    (url) =>
      new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(url)
        socket.onopen = () => {
          resolve(socket.extensions)
          socket.close()
        }
        socket.onerror = () => reject(new Error(`WebSocket to ${url} failed`))
      }),
    `${baseUrl.replace(/^http/, 'ws')}/sync/${docId}-probe`,
  )
}

test.describe('awareness compression (WS_COMPRESSION=awareness, the default)', () => {
  // A relay of the test's own, with no extra settings: what `pnpm start` runs.
  test.use({ relayPerTest: true })

  test('Chromium negotiates permessage-deflate and remote cursors still arrive', async ({ peers, docId, relay }) => {
    const [a, b] = (await openUsers(peers, docId, 2, WIRE_NAMES)) as [Page, Page]
    const extensions = await negotiatedExtensions(a, relay.baseUrl, docId)
    expect(extensions).toContain('permessage-deflate')
    expect(extensions).toContain('server_no_context_takeover')
    // Each message the browser sends stands alone, so the relay can inflate it inline.
    expect(extensions).toContain('client_no_context_takeover')
    // Cursor moves reach the other page only through the relay's compressed awareness frames,
    // and every keystroke the browser sends arrives compressed.
    await typeAndSeeEachOther(a, b, WIRE_NAMES)
    await expect(a.getByTestId('presence-user')).toHaveCount(2)
  })
})

test.describe('with WS_COMPRESSION=off', () => {
  test.use({ relayPerTest: true, relayEnv: { WS_COMPRESSION: 'off' } })

  test('Chromium connects uncompressed and remote cursors arrive', async ({ peers, docId, relay }) => {
    const [a, b] = (await openUsers(peers, docId, 2, WIRE_NAMES)) as [Page, Page]
    expect(await negotiatedExtensions(a, relay.baseUrl, docId)).toBe('')
    await typeAndSeeEachOther(a, b, WIRE_NAMES)
  })
})
