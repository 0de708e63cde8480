/** Schemes a link may use. Anything else with a scheme (javascript:, data:, vbscript:, file:…) is refused. */
export const allowedLinkSchemes: readonly string[] = ['http', 'https', 'mailto']

/** Longest href we keep; longer ones are refused rather than truncated into something else. */
export const maxHrefLength = 2048

/** Thrown by callers that prefer an exception to a `false` command result for a refused href. */
export class UnsafeHrefError extends Error {
  readonly href: string
  constructor(href: string) {
    super(
      `Link href ${JSON.stringify(href.slice(0, 80))} refused: only ${allowedLinkSchemes.join(', ')} or relative links are allowed`,
    )
    this.name = 'UnsafeHrefError'
    this.href = href
  }
}

// Browsers drop ASCII tab/newline anywhere and leading/trailing C0 controls and spaces before
// resolving a URL, so "java\tscript:" and " javascript:" both run script. Remove them all before
// reading the scheme.
// eslint-disable-next-line no-control-regex
const ignoredByUrlParser = /[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/g
const schemePrefix = /^([^/?#]*):/

/**
 * Returns the href to store (trimmed), or null when it is unsafe or unusable: a scheme other
 * than http/https/mailto, empty, or longer than `maxHrefLength`. Relative hrefs (`/x`, `#a`,
 * `page.html`, `//host/x`) are allowed.
 */
export function sanitizeHref(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const href = raw.trim()
  if (href.length === 0 || href.length > maxHrefLength) return null
  const compact = href.replace(ignoredByUrlParser, '')
  if (compact.length === 0) return null
  const scheme = schemePrefix.exec(compact)
  if (scheme === null) return href
  const name = (scheme[1] ?? '').toLowerCase()
  return allowedLinkSchemes.includes(name) ? href : null
}

/** True when `sanitizeHref` would keep the href. */
export function isSafeHref(raw: unknown): boolean {
  return sanitizeHref(raw) !== null
}
