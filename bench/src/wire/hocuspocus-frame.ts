// Hocuspocus multiplexes documents over one socket: every message starts with
// varString(documentName), followed by a y-protocols style message. Types it adds: 4 = sync reply
// (a sync message that must not trigger another step 1), 8 = sync status (ack of an update),
// 2 = auth with sub-types 0 token, 1 permission denied, 2 authenticated. The client opens each
// document with an auth message carrying its token (empty when the server has no auth hook).
// Written from the protocol description above, not from Hocuspocus' code.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const HocuspocusMessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  SyncReply: 4,
  Stateless: 5,
  BroadcastStateless: 6,
  Close: 7,
  SyncStatus: 8,
} as const

export const HocuspocusAuthType = {
  Token: 0,
  PermissionDenied: 1,
  Authenticated: 2,
} as const

/** `varString(documentName) · 2 · 0 · varString(token)`: opens a document on the socket. */
export function encodeHocuspocusAuth(documentName: string, token: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, documentName)
  encoding.writeVarUint(encoder, HocuspocusMessageType.Auth)
  encoding.writeVarUint(encoder, HocuspocusAuthType.Token)
  encoding.writeVarString(encoder, token)
  return encoding.toUint8Array(encoder)
}

/** Prefixes a y-protocols message with the document name. */
export function prefixDocumentName(documentName: string, message: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, documentName)
  encoding.writeUint8Array(encoder, message)
  return encoding.toUint8Array(encoder)
}

/** Where the y-protocols part of a Hocuspocus message starts (after the document name). */
export function hocuspocusBodyOffset(message: Uint8Array): number {
  const decoder = decoding.createDecoder(message)
  const nameBytes = decoding.readVarUint(decoder)
  return decoder.pos + nameBytes
}
