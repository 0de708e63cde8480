import { isValidDocId } from './doc-id'

/** Everything the app can show, decided from the URL path alone. */
export type Route =
  | { kind: 'documents' }
  | { kind: 'editor'; docId: string }
  | { kind: 'invalid-doc'; rawDocId: string }
  | { kind: 'not-found'; path: string }

const EDITOR_PREFIX = '/d/'

/** Maps a location pathname to a route; never throws on hostile input. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '' || pathname === '/index.html') return { kind: 'documents' }
  if (pathname.startsWith(EDITOR_PREFIX)) {
    const raw = pathname.slice(EDITOR_PREFIX.length).replace(/\/$/, '')
    let docId: string
    try {
      docId = decodeURIComponent(raw)
    } catch {
      return { kind: 'invalid-doc', rawDocId: raw }
    }
    return isValidDocId(docId) ? { kind: 'editor', docId } : { kind: 'invalid-doc', rawDocId: docId }
  }
  return { kind: 'not-found', path: pathname }
}

/** The shareable path of a document. */
export function docPath(docId: string): string {
  return EDITOR_PREFIX + encodeURIComponent(docId)
}
