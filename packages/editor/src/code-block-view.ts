// How a code block is drawn while it is edited: one <pre> that is itself the content DOM.
//
// The schema's `toDOM` gives `<pre><code>…</code></pre>` (what the clipboard and HTML export carry).
// Edited that way, the space inside the <pre> but in front of the <code> is not content, and
// Chromium puts typed text there when the caret sits at the very start of the block in front of a
// `contenteditable=false` widget — another user's caret, which is drawn there whenever someone
// else's caret is at the same place. ProseMirror then redraws the block from the document, and
// the text the user typed is gone (found by the chaos suite, seed 3238820903). With the <pre> as
// the content DOM there is no such place.
import { Plugin, PluginKey } from 'prosemirror-state'
import type { NodeViewConstructor } from 'prosemirror-view'

export const codeBlockViewKey = new PluginKey('code-block-view')

const codeBlockView: NodeViewConstructor = () => {
  const pre = document.createElement('pre')
  return { dom: pre, contentDOM: pre }
}

/** Draws `code_block` nodes as a single <pre> in the editor (see the file comment). */
export function codeBlockViewPlugin(): Plugin {
  return new Plugin({ key: codeBlockViewKey, props: { nodeViews: { code_block: codeBlockView } } })
}
