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

/** Send and receive times of Yjs sync-update frames (`[0, 2, …]`) on the page's WebSockets. */
export interface WireRecord {
  sends: number[]
  receives: number[]
}

declare global {
  interface Window {
    __bench?: PageRecord
    __benchWire?: WireRecord
  }
}

/**
 * Runs before the app (addInitScript): wraps the WebSocket constructor so every sync-update frame
 * sent or received is timestamped — splitting keystroke → remote paint into typing page, wire and
 * relay, and receiving page.
 */
export function installWireRecorder(): void {
  const record: WireRecord = { sends: [], receives: [] }
  window.__benchWire = record
  const now = () => performance.timeOrigin + performance.now()
  const isUpdate = (data: unknown): boolean => {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null
    return bytes !== null && bytes.length > 1 && bytes[0] === 0 && bytes[1] === 2
  }
  const Native = window.WebSocket
  class RecordedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      // Registered before the app's own handler, so it stamps the arrival, not the processing.
      this.addEventListener('message', (event) => {
        if (isUpdate(event.data)) record.receives.push(now())
      })
    }

    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (isUpdate(data)) record.sends.push(now())
      super.send(data)
    }
  }
  window.WebSocket = RecordedWebSocket
}

export function readWire(): WireRecord {
  return window.__benchWire ?? { sends: [], receives: [] }
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
