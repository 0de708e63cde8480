import { Plugin } from 'prosemirror-state'

const LONG: Record<string, string> = { class: 'is-long' }
const SHORT: Record<string, string> = {}

/** From this many top-level blocks on, a document counts as long (see document.css, `.is-long`). */
export const LONG_DOCUMENT_BLOCKS = 100

/**
 * Marks the editor of a long document with the class `is-long`, which lets the browser skip
 * rendering the blocks outside the viewport. Short documents keep plain rendering: there it would
 * save nothing, and every block would pay for the browser's visibility tracking.
 */
export function longDocumentPlugin(threshold = LONG_DOCUMENT_BLOCKS): Plugin {
  return new Plugin({
    props: {
      attributes: (state) => (state.doc.childCount >= threshold ? LONG : SHORT),
    },
  })
}
