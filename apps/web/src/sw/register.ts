/**
 * Registers the app-shell service worker (production builds only: the dev server has no
 * /sw.js). The app works without it, so a failure only costs offline reloads.
 */
export function registerServiceWorker(container: ServiceWorkerContainer | undefined = navigator.serviceWorker): void {
  if (container === undefined) return
  const register = () => {
    container.register('/sw.js', { scope: '/' }).catch(() => undefined)
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}
