/**
 * Every WebSocket close code the relay sends, in one place (documented in PROTOCOL.md).
 *
 * y-websocket 3 clients stop reconnecting on 4400–4499 ("the server decided; retrying cannot
 * help") and reconnect with backoff on everything else, 4500–4599 included ("try again later").
 * The app codes follow that split, and mirror the HTTP status they resemble where one exists.
 */
export const CloseCode = {
  /** Normal closure. */
  Normal: 1000,
  /** The endpoint is going away (browser tab closed, relay idle-closing a socket). */
  GoingAway: 1001,
  /** A message came in more than 1,024 fragments; sent by ws itself (`maxFragments`). */
  PolicyViolation: 1008,
  /** A frame exceeded `maxFrameBytes`; sent by ws itself when `maxPayload` is hit. */
  FrameTooBig: 1009,
  /** The relay hit an unexpected error while handling this connection. */
  InternalError: 1011,
  /** The relay is shutting down or restarting; reconnect (with jitter) to the next process. */
  ServiceRestart: 1012,

  // 44xx: permanent. The client sent something the relay will never accept.
  /** The frame could not be decoded: empty, truncated, oversized varint, trailing bytes, text frame. */
  MalformedFrame: 4400,
  /** No valid credentials (missing, invalid or expired token). */
  Unauthorized: 4401,
  /** Credentials valid but not for this document or action. */
  Forbidden: 4403,
  /** The path does not name a valid document id (only when the refusal could not happen before upgrade). */
  InvalidDocId: 4404,
  /** The first varUint names a message type the relay does not accept from clients. */
  UnknownMessageType: 4405,
  /** Authentication did not complete in time. */
  AuthTimeout: 4408,
  /** One update is larger than `maxUpdateBytes`. */
  UpdateTooLarge: 4413,
  /** Applying the update would grow the document past `maxDocumentBytes`. */
  DocumentTooLarge: 4414,
  /** The update does not decode as a Yjs update, or breaks a structural limit. */
  InvalidUpdate: 4422,
  /** The awareness update is malformed, too large, too deep, or sets a client id this connection does not own. */
  InvalidAwareness: 4423,

  // 45xx: transient. The client reconnects with backoff; its local changes are kept and resent.
  /** Storage is failing; the relay stopped accepting writes for this document. Nothing is lost. */
  StorageUnavailable: 4503,
  /** The socket could not keep up with what the relay sends (buffer past the hard limit). */
  SlowConsumer: 4508,
  /** Too many messages per second on this connection. */
  RateLimited: 4529,
  /** Too many connections (per address or in total). */
  TooManyConnections: 4530,
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** True for codes after which a stock y-websocket client does not reconnect (4400–4499). */
export function isPermanentCloseCode(code: number): boolean {
  return code >= 4400 && code < 4500
}

/**
 * Short machine-readable reasons sent in the close frame. A close reason is limited to 123 bytes
 * by RFC 6455; these stay far below that.
 */
export const closeReason: Record<CloseCode, string> = {
  [CloseCode.Normal]: 'normal',
  [CloseCode.GoingAway]: 'going-away',
  [CloseCode.PolicyViolation]: 'too-many-fragments',
  [CloseCode.FrameTooBig]: 'frame-too-big',
  [CloseCode.InternalError]: 'internal-error',
  [CloseCode.ServiceRestart]: 'service-restart',
  [CloseCode.MalformedFrame]: 'malformed-frame',
  [CloseCode.Unauthorized]: 'unauthorized',
  [CloseCode.Forbidden]: 'forbidden',
  [CloseCode.InvalidDocId]: 'invalid-doc-id',
  [CloseCode.UnknownMessageType]: 'unknown-message-type',
  [CloseCode.AuthTimeout]: 'auth-timeout',
  [CloseCode.UpdateTooLarge]: 'update-too-large',
  [CloseCode.DocumentTooLarge]: 'document-too-large',
  [CloseCode.InvalidUpdate]: 'invalid-update',
  [CloseCode.InvalidAwareness]: 'invalid-awareness',
  [CloseCode.StorageUnavailable]: 'storage-unavailable',
  [CloseCode.SlowConsumer]: 'slow-consumer',
  [CloseCode.RateLimited]: 'rate-limited',
  [CloseCode.TooManyConnections]: 'too-many-connections',
}

/** HTTP statuses the relay answers instead of upgrading a WebSocket (or on its JSON API). */
export const HttpRefusal = {
  /** Invalid doc id or query parameter. */
  BadRequest: 400,
  /** Missing, invalid or expired token. */
  Unauthorized: 401,
  /** Token valid but not for this document, or a foreign `Origin`. */
  Forbidden: 403,
  /** Too many connections from this address. */
  TooManyRequests: 429,
  /** Storage not open yet, or the relay is shutting down. */
  ServiceUnavailable: 503,
} as const

export type HttpRefusal = (typeof HttpRefusal)[keyof typeof HttpRefusal]
