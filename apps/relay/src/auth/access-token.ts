// Access tokens: HS256 JWTs naming the documents a client may open and whether it may change
// them. Verified with jose before the WebSocket upgrade completes.
import { HttpRefusal, isValidDocId } from '@collab/protocol'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'

/** Shortest AUTH_SECRET accepted: HS256 needs a key of at least 256 bits. */
export const MIN_AUTH_SECRET_LENGTH = 32

export type AccessRole = 'read' | 'write'

/** The query parameter clients pass their token in (a browser WebSocket cannot send headers). */
export const TOKEN_PARAMETER = 'token'

/** What a verified token allows. */
export interface AccessGrant {
  /** Doc ids and patterns: an exact id, `*` (every document) or a prefix ending in `*` (`team-*`). */
  readonly docs: readonly string[]
  readonly role: AccessRole
  /** When the token expires (wall clock, ms since the epoch). */
  readonly expiresAtMs: number
}

/** Why a token was refused, with the HTTP status (401 missing/invalid/expired, 403 not this doc). */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError'
  constructor(
    readonly status: typeof HttpRefusal.Unauthorized | typeof HttpRefusal.Forbidden,
    readonly reason: 'missing-token' | 'invalid-token' | 'expired-token' | 'wrong-document',
    message: string,
  ) {
    super(message)
  }
}

const PATTERN = /^(\*|[A-Za-z0-9_-]{1,127}\*|[A-Za-z0-9_-]{1,128})$/

/** True for an exact doc id, `*`, or a doc-id prefix followed by `*`. */
export function isDocPattern(value: unknown): value is string {
  return typeof value === 'string' && PATTERN.test(value)
}

/** Whether `pattern` (see {@link AccessGrant.docs}) names `docId`. */
export function patternMatches(pattern: string, docId: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('*')) return docId.startsWith(pattern.slice(0, -1))
  return pattern === docId
}

/** Whether the grant covers `docId`. */
export function grantCovers(grant: AccessGrant, docId: string): boolean {
  return isValidDocId(docId) && grant.docs.some((pattern) => patternMatches(pattern, docId))
}

/** The HS256 key for a secret. */
export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

/**
 * Verifies a token's signature (HS256 only), expiry (required) and claims. Throws
 * {@link AccessDeniedError} with status 401 for a missing, malformed, forged or expired token.
 */
export async function verifyAccessToken(
  token: string | undefined,
  key: Uint8Array,
  nowMs: number = Date.now(),
): Promise<AccessGrant> {
  if (token === undefined || token === '') {
    throw new AccessDeniedError(HttpRefusal.Unauthorized, 'missing-token', `A token is required (query parameter "${TOKEN_PARAMETER}")`)
  }
  let payload: Record<string, unknown>
  try {
    const result = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
      currentDate: new Date(nowMs),
    })
    payload = result.payload as Record<string, unknown>
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new AccessDeniedError(HttpRefusal.Unauthorized, 'expired-token', 'The token has expired')
    }
    const detail = error instanceof Error ? error.message.slice(0, 120) : 'unreadable'
    throw new AccessDeniedError(HttpRefusal.Unauthorized, 'invalid-token', `Invalid token: ${detail}`)
  }
  const { docs, role, exp } = payload
  if (!Array.isArray(docs) || docs.length === 0 || docs.length > 1_000 || !docs.every(isDocPattern)) {
    throw new AccessDeniedError(
      HttpRefusal.Unauthorized,
      'invalid-token',
      'Invalid token: claim "docs" must list doc ids or patterns ("*", "prefix*")',
    )
  }
  if (role !== 'read' && role !== 'write') {
    throw new AccessDeniedError(HttpRefusal.Unauthorized, 'invalid-token', 'Invalid token: claim "role" must be "read" or "write"')
  }
  return { docs: docs as string[], role, expiresAtMs: (exp as number) * 1000 }
}

/** Verifies the token and checks it covers `docId` (403 otherwise). */
export async function authorize(
  token: string | undefined,
  key: Uint8Array,
  docId: string,
  nowMs: number = Date.now(),
): Promise<AccessGrant> {
  const grant = await verifyAccessToken(token, key, nowMs)
  if (!grantCovers(grant, docId)) {
    throw new AccessDeniedError(HttpRefusal.Forbidden, 'wrong-document', `The token does not grant access to document ${docId}`)
  }
  return grant
}

export interface MintOptions {
  docs: readonly string[]
  role: AccessRole
  ttlSeconds: number
  nowMs?: number
}

/** Signs a token (what the `token` CLI prints). Patterns are checked like the relay checks them. */
export async function mintAccessToken(secret: string, options: MintOptions): Promise<string> {
  if (secret.length < MIN_AUTH_SECRET_LENGTH) {
    throw new Error(`AUTH_SECRET must be at least ${MIN_AUTH_SECRET_LENGTH} characters`)
  }
  const bad = options.docs.find((doc) => !isDocPattern(doc))
  if (options.docs.length === 0 || bad !== undefined) {
    throw new Error(`Invalid document pattern ${JSON.stringify(bad ?? '')}: expected a doc id, "*" or "prefix*"`)
  }
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new Error(`Invalid ttl ${options.ttlSeconds}: expected a positive number of seconds`)
  }
  const issuedAt = Math.floor((options.nowMs ?? Date.now()) / 1000)
  return await new SignJWT({ docs: [...options.docs], role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .sign(secretKey(secret))
}
