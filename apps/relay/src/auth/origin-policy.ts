// Which browser pages may open a WebSocket to the relay (cross-site WebSocket hijacking: a page
// on another site can open a socket to the relay with the user's network position and cookies).

/** ALLOWED_ORIGINS default: pages served from this machine, on any port. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'http://localhost:*',
  'https://localhost:*',
  'http://127.0.0.1:*',
  'https://127.0.0.1:*',
  'http://[::1]:*',
  'https://[::1]:*',
]

interface OriginPattern {
  protocol: string
  hostname: string
  /** '' for the scheme's default port, '*' for any. */
  port: string
}

/** An ALLOWED_ORIGINS entry is not `*` or `scheme://host[:port|:*]`. */
export class OriginPatternError extends Error {
  override readonly name = 'OriginPatternError'
  constructor(readonly pattern: string) {
    super(`Invalid origin ${JSON.stringify(pattern)}: expected "*" or scheme://host[:port] (port may be *)`)
  }
}

function parsePattern(raw: string): OriginPattern | '*' {
  const value = raw.trim()
  if (value === '*') return '*'
  const anyPort = value.endsWith(':*')
  let url: URL
  try {
    url = new URL(anyPort ? value.slice(0, -2) : value)
  } catch {
    throw new OriginPatternError(raw)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new OriginPatternError(raw)
  }
  return { protocol: url.protocol, hostname: url.hostname, port: anyPort ? '*' : url.port }
}

/** Checks every pattern; throws {@link OriginPatternError} naming the first bad one. */
export function parseAllowedOrigins(raw: string): string[] {
  const patterns = raw.split(',').map((part) => part.trim()).filter(Boolean)
  if (patterns.length === 0) throw new OriginPatternError(raw)
  for (const pattern of patterns) parsePattern(pattern)
  return patterns
}

const LOOPBACK_HOSTNAMES = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** True for localhost, 127.x.x.x and [::1] (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!
  return LOOPBACK_HOSTNAMES.test(hostname)
}

export interface OriginPolicyOptions {
  /** ALLOWED_ORIGINS entries (default {@link DEFAULT_ALLOWED_ORIGINS}). */
  allowedOrigins: readonly string[]
  /**
   * The relay listens on a loopback address: a same-origin page then counts only when it was
   * loaded from a loopback name, so a DNS-rebinding page (evil.example resolving to 127.0.0.1)
   * is not mistaken for the relay's own web app.
   */
  listensOnLoopback: boolean
}

/**
 * Decides whether an upgrade's `Origin` may connect. No Origin header (a non-browser client) is
 * allowed; the relay's own origin (Origin host = Host header) is allowed; otherwise the Origin
 * must match ALLOWED_ORIGINS.
 */
export class OriginPolicy {
  private readonly patterns: Array<OriginPattern | '*'>

  constructor(private readonly options: OriginPolicyOptions) {
    this.patterns = options.allowedOrigins.map(parsePattern)
  }

  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true
    if (this.patterns.includes('*')) return true
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      return false // "null" (sandboxed frames, file://) and garbage
    }
    if (host !== undefined && url.host === host.toLowerCase()) {
      if (!this.options.listensOnLoopback || isLoopbackHost(url.host)) return true
    }
    return this.patterns.some(
      (pattern) =>
        pattern !== '*' &&
        pattern.protocol === url.protocol &&
        pattern.hostname === url.hostname &&
        (pattern.port === '*' || pattern.port === url.port),
    )
  }
}
