// What the relay's logs say about an HTTP request. Fastify's own serializer logs `request.url`
// whole, and clients pass their access token in the query string (`?token=…`, the only way a
// browser WebSocket can carry one): at the default level every connection would write a valid
// bearer token into the log ("incoming request"). The token's value is replaced here.
import type { FastifyRequest } from 'fastify'
import { TOKEN_PARAMETER } from './auth/access-token'

export const REDACTED = '[redacted]'

/** The fields of Fastify's default `req` serializer, with the URL's token value redacted. */
export type LoggedRequest = {
  method: string
  url: string
  host: string | undefined
  remoteAddress: string
  remotePort: number | undefined
}

export function serializeRequest(request: FastifyRequest): LoggedRequest {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

/**
 * `url` with the value of every `token` parameter replaced by {@link REDACTED}. A parameter whose
 * name does not decode (malformed percent-encoding) is redacted too: the query parser may read it
 * differently, and a log line must never be the place a credential leaks from.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?')
  if (queryAt < 0) return url
  const pairs = url.slice(queryAt + 1).split('&')
  let changed = false
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!
    const equals = pair.indexOf('=')
    const name = equals < 0 ? pair : pair.slice(0, equals)
    if (!mayBeToken(name)) continue
    pairs[i] = `${name}=${REDACTED}`
    changed = true
  }
  return changed ? `${url.slice(0, queryAt)}?${pairs.join('&')}` : url
}

function mayBeToken(rawName: string): boolean {
  if (rawName === TOKEN_PARAMETER) return true
  if (!rawName.includes('%') && !rawName.includes('+')) return false
  try {
    return decodeURIComponent(rawName.replace(/\+/g, ' ')) === TOKEN_PARAMETER
  } catch {
    return true
  }
}
