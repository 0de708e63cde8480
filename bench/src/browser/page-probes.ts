// Functions evaluated inside the editor pages (serialised by Playwright, so self-contained). Every
// timestamp is `performance.timeOrigin + performance.now()`, the clock all processes share.

/**
 * What a page recorded: keydown times; (time, doc size, next frame time) per DOM mutation of the
 * editor; the same per editor state update. Remote changes show in the DOM through ProseMirror, so
 * mutations time them; a local keystroke is first inserted by the browser itself (the mutation
 * comes before ProseMirror has the character), so state updates time those.
 */
export interface PageRecord {
  keys: number[]
  mutations: [number, number, number][]
  updates: [number, number, number][]
}

interface EditorView {
  state: { doc: { content: { size: number }; textBetween(from: number, to: number, block?: string, leaf?: string): string } }
  updateState(state: unknown): void
}

interface EditorHandle {
  view: EditorView
}

declare global {
  interface Window {
    __bench?: PageRecord
  }
}

/** Starts recording keydowns and editor mutations (with the ProseMirror doc size at that moment). */
export function installRecorder(): void {
  const handle = (window as unknown as { __collab?: EditorHandle }).__collab
  const root = document.querySelector('.ProseMirror')
  if (handle === undefined || root === null) throw new Error('editor not ready: no window.__collab or .ProseMirror')
  const record: PageRecord = { keys: [], mutations: [], updates: [] }
  window.__bench = record
  const now = () => performance.timeOrigin + performance.now()
  // The next animation frame is when a change can be on screen.
  const stamp = (list: [number, number, number][]) => {
    const at = now()
    const size = handle.view.state.doc.content.size
    requestAnimationFrame(() => list.push([at, size, now()]))
  }
  document.addEventListener('keydown', () => record.keys.push(now()), true)
  new MutationObserver(() => stamp(record.mutations)).observe(root, { childList: true, subtree: true, characterData: true })
  const view = handle.view
  const updateState = view.updateState.bind(view)
  view.updateState = (state: unknown) => {
    updateState(state)
    stamp(record.updates)
  }
}

export function readRecord(): PageRecord {
  return window.__bench ?? { keys: [], mutations: [], updates: [] }
}

export function docSize(): number {
  return (window as unknown as { __collab: EditorHandle }).__collab.view.state.doc.content.size
}

export function docText(): string {
  const doc = (window as unknown as { __collab: EditorHandle }).__collab.view.state.doc
  return doc.textBetween(0, doc.content.size, '\n', ' ')
}

/** Replaces the document with one paragraph per line of `text` (through the editor, so it syncs). */
interface FillableView {
  state: {
    schema: { node(type: string, attrs: null, content: unknown[]): unknown; text(text: string): unknown }
    doc: { content: { size: number } }
    tr: { replaceWith(from: number, to: number, nodes: unknown[]): unknown }
  }
  dispatch(tr: unknown): void
}

export function fillDocument(text: string): void {
  const view = (window as unknown as { __collab: { view: FillableView } }).__collab.view
  const { schema, doc, tr } = view.state
  const paragraphs = text.split('\n').map((line: string) => schema.node('paragraph', null, line === '' ? [] : [schema.text(line)]))
  view.dispatch(tr.replaceWith(0, doc.content.size, paragraphs))
}
