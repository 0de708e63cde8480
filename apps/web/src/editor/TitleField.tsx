import { useEffect, useState } from 'react'
import type * as Y from 'yjs'

/** Where the title lives in the Y.Doc (UI contract): `ydoc.getMap('meta').get('title')`. */
export const META_MAP = 'meta'
export const TITLE_KEY = 'title'
export const MAX_TITLE_CHARS = 200

/** Transaction origin of title edits made here (lets observers tell them from remote ones). */
export const TITLE_ORIGIN = Symbol('collab:title-input')

/** The title as stored; anything that is not a string (a hostile peer) reads as untitled. */
export function readTitle(doc: Y.Doc): string {
  const value: unknown = doc.getMap<unknown>(META_MAP).get(TITLE_KEY)
  return typeof value === 'string' ? value : ''
}

export interface TitleFieldProps {
  doc: Y.Doc
  onTitleChange: (title: string) => void
}

/**
 * The document title, two-way bound to the Y.Doc. Typing writes to the map; the map's observer
 * only sets React state, so a change never echoes back into Yjs.
 */
export function TitleField({ doc, onTitleChange }: TitleFieldProps) {
  const [title, setTitle] = useState(() => readTitle(doc))

  useEffect(() => {
    const meta = doc.getMap<unknown>(META_MAP)
    const sync = () => setTitle(readTitle(doc))
    const observer = (event: Y.YMapEvent<unknown>) => {
      if (event.keysChanged.has(TITLE_KEY)) sync()
    }
    sync()
    meta.observe(observer)
    return () => meta.unobserve(observer)
  }, [doc])

  useEffect(() => onTitleChange(title), [title, onTitleChange])

  return (
    <input
      className="title-input"
      data-testid="doc-title"
      aria-label="Document title"
      placeholder="Untitled"
      maxLength={MAX_TITLE_CHARS}
      spellCheck={false}
      value={title}
      onChange={(event) => {
        const next = event.target.value.slice(0, MAX_TITLE_CHARS)
        setTitle(next)
        doc.transact(() => doc.getMap<unknown>(META_MAP).set(TITLE_KEY, next), TITLE_ORIGIN)
      }}
      onKeyDown={(event) => {
        // Enter moves on to the text, as in most editors.
        if (event.key === 'Enter') {
          event.preventDefault()
          document.querySelector<HTMLElement>('.ProseMirror')?.focus()
        }
      }}
    />
  )
}
