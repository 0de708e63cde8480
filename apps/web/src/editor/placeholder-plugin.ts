import { Plugin } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'

/**
 * Shows `text` in an empty document (a single empty paragraph). Drawn by CSS from a node
 * decoration's data attribute, so it is never part of the document or its text content.
 */
export function placeholderPlugin(text: string): Plugin {
  return new Plugin({
    props: {
      decorations(state) {
        const { doc } = state
        const first = doc.firstChild
        if (doc.childCount !== 1 || first === null || !first.isTextblock || first.content.size > 0) return null
        if (first.type.name !== 'paragraph') return null
        return DecorationSet.create(doc, [
          Decoration.node(0, first.nodeSize, { class: 'is-placeholder', 'data-placeholder': text }),
        ])
      },
    },
  })
}
