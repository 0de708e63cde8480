// The documents list at `/`: create a document, share it by its URL, find it in the list, and
// open it by pasting the link.
import { editorText, expect, expectSaved, focusEnd, test, waitForEditor } from '../support/test'

const DOC_PATH = /\/d\/([A-Za-z0-9_-]{1,128})$/

test('a document created from / opens by link on another page and is listed on /', async ({ peers }) => {
  const [creator, visitor, stranger] = await peers.open(3)
  const a = creator!.page
  await a.goto('/')
  await a.getByTestId('new-doc').click()
  await expect(a).toHaveURL(DOC_PATH)
  const docUrl = a.url()
  const docId = DOC_PATH.exec(new URL(docUrl).pathname)?.[1] as string
  await waitForEditor(a, docId)
  await a.getByTestId('doc-title').fill('Shared plan')
  await focusEnd(a)
  await a.keyboard.type('Everyone can read this.')
  await expectSaved(a)

  // The link is all another user needs.
  const b = visitor!.page
  await b.goto(docUrl)
  await waitForEditor(b, docId)
  await expect.poll(() => editorText(b)).toBe('Everyone can read this.')
  await expect(b.getByTestId('doc-title')).toHaveValue('Shared plan')

  // The creator's list shows it (opened on this device, with its title) …
  await a.goto('/')
  const linkOnA = a.getByTestId('doc-list').locator(`a[data-testid="doc-link"][href="/d/${docId}"]`)
  await expect(linkOnA).toHaveText('Shared plan')
  // … and so does the list of someone who never opened it (the relay knows it).
  const c = stranger!.page
  await c.goto('/')
  const linkOnC = c.getByTestId('doc-list').locator(`a[data-testid="doc-link"][href="/d/${docId}"]`)
  await expect(linkOnC).toHaveText(new RegExp(`^(Shared plan|${docId})$`))

  // Following the list entry opens the editor on that document.
  await linkOnC.click()
  await expect(c).toHaveURL(DOC_PATH)
  await waitForEditor(c, docId)
  await expect.poll(() => editorText(c)).toBe('Everyone can read this.')
})

test('pasting a link into "open document" opens it', async ({ peers, docId }) => {
  const [writer, reader] = await peers.open(2)
  await writer!.page.goto(`/d/${docId}`)
  await waitForEditor(writer!.page, docId)
  await focusEnd(writer!.page)
  await writer!.page.keyboard.type('Opened from a pasted link.')
  await expectSaved(writer!.page)

  const page = reader!.page
  await page.goto('/')
  await page.getByTestId('open-doc-input').fill(writer!.page.url())
  await page.getByTestId('open-doc-submit').click()
  await expect(page).toHaveURL(new RegExp(`/d/${docId}$`))
  await waitForEditor(page, docId)
  await expect.poll(() => editorText(page)).toBe('Opened from a pasted link.')
})
