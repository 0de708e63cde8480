import { useSyncExternalStore } from 'react'

// History-API navigation without a router dependency: one store over `location.pathname`.
const NAVIGATE_EVENT = 'collab:navigate'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  window.addEventListener(NAVIGATE_EVENT, onChange)
  return () => {
    window.removeEventListener('popstate', onChange)
    window.removeEventListener(NAVIGATE_EVENT, onChange)
  }
}

function getPathname(): string {
  return window.location.pathname
}

/** The current path; re-renders on pushState navigation and back/forward. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, getPathname)
}

/** Client-side navigation to a same-origin path. */
export function navigate(path: string, { replace = false }: { replace?: boolean } = {}): void {
  if (path === window.location.pathname + window.location.search) return
  if (replace) window.history.replaceState(null, '', path)
  else window.history.pushState(null, '', path)
  window.dispatchEvent(new Event(NAVIGATE_EVENT))
  window.scrollTo(0, 0)
}
