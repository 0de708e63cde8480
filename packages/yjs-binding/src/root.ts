import * as Y from 'yjs'

/** Name of the shared fragment the editor binds to (public contract). */
export const FRAGMENT_NAME = 'prosemirror'

/**
 * The client id that creates the document's single content text. Every replica creates that
 * text with the same id and clock, so the creations are one and the same Yjs item: two devices
 * that open a new document offline still end up with one text, not two.
 */
export const GENESIS_CLIENT_ID = 0x7a3e_51c9

let genesisUpdate: Uint8Array | null = null

function buildGenesisUpdate(): Uint8Array {
  const doc = new Y.Doc({ gc: false })
  doc.clientID = GENESIS_CLIENT_ID
  doc.getXmlFragment(FRAGMENT_NAME).insert(0, [new Y.XmlText()])
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

function isGenesisText(type: unknown): type is Y.XmlText {
  return type instanceof Y.XmlText && type._item !== null && type._item.id.client === GENESIS_CLIENT_ID && type._item.id.clock === 0
}

/** The content text in `doc`'s fragment, if the genesis update has been applied. */
export function findContentText(doc: Y.Doc): Y.XmlText | null {
  for (const child of doc.getXmlFragment(FRAGMENT_NAME).toArray()) {
    if (isGenesisText(child)) return child
  }
  return null
}

/**
 * The Y.XmlText holding the document's content, created (idempotently) when missing. Other
 * children of the fragment (e.g. content written by another binding) are left alone.
 */
export function contentText(doc: Y.Doc): Y.XmlText {
  const existing = findContentText(doc)
  if (existing !== null) return existing
  genesisUpdate ??= buildGenesisUpdate()
  Y.applyUpdate(doc, genesisUpdate, GENESIS_ORIGIN)
  const created = findContentText(doc)
  if (created !== null) return created
  // The genesis text exists but was deleted (only a hostile or broken peer does that): carry on
  // in the first other text, or a new one, rather than leaving the document unusable.
  const fragment = doc.getXmlFragment(FRAGMENT_NAME)
  const fallback = fragment.toArray().find((child): child is Y.XmlText => child instanceof Y.XmlText)
  if (fallback !== undefined) return fallback
  const text = new Y.XmlText()
  fragment.insert(fragment.length, [text])
  return text
}

/** Origin of the transaction that applies the genesis update. */
export const GENESIS_ORIGIN = Symbol('collab-genesis')
