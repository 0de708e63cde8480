// The two wire dialects the load clients speak: plain y-websocket (ours, the reference server, the
// ws floor) and Hocuspocus' document-prefixed framing. Everything above this file sees
// y-protocols messages only.
import { MessageType, SyncMessageType } from '@collab/protocol'
import { HocuspocusMessageType, encodeHocuspocusAuth, hocuspocusBodyOffset, prefixDocumentName } from './hocuspocus-frame'

export type DialectName = 'y-websocket' | 'hocuspocus'

/** What a received message is, read from its first bytes only (cheap enough for every frame). */
export type MessageKind = 'sync-step1' | 'sync-step2' | 'sync-update' | 'awareness' | 'other'

export interface Dialect {
  readonly name: DialectName
  /** WebSocket URL of `docId` under the server's base URL (e.g. `ws://127.0.0.1:8080/sync/`). */
  url(baseUrl: string, docId: string): string
  /** Messages that open the document on a fresh socket, before the first sync message. */
  openingMessages(docId: string): Uint8Array[]
  /** A y-protocols message as this dialect sends it. */
  wrap(docId: string, message: Uint8Array): Uint8Array
  /** The y-protocols part of a received message, or null for dialect-only messages (auth, acks). */
  unwrap(message: Uint8Array): Uint8Array | null
}

const yWebsocket: Dialect = {
  name: 'y-websocket',
  url: (baseUrl, docId) => `${baseUrl}${docId}`,
  openingMessages: () => [],
  wrap: (_docId, message) => message,
  unwrap: (message) => message,
}

const hocuspocus: Dialect = {
  name: 'hocuspocus',
  // One socket per document here (like one provider per document); the path is not used.
  url: (baseUrl) => baseUrl,
  openingMessages: (docId) => [encodeHocuspocusAuth(docId, '')],
  wrap: (docId, message) => prefixDocumentName(docId, message),
  unwrap: (message) => {
    const offset = hocuspocusBodyOffset(message)
    const type = message[offset]
    if (type === HocuspocusMessageType.SyncReply) {
      // A sync reply is a sync message that must not be answered with another step 1.
      const body = message.slice(offset)
      body[0] = MessageType.Sync
      return body
    }
    if (type === MessageType.Sync || type === MessageType.Awareness || type === MessageType.QueryAwareness) {
      return message.subarray(offset)
    }
    return null
  },
}

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = { 'y-websocket': yWebsocket, hocuspocus }

/** Classifies a y-protocols message by its first two bytes. */
export function messageKind(message: Uint8Array): MessageKind {
  if (message[0] === MessageType.Awareness) return 'awareness'
  if (message[0] !== MessageType.Sync) return 'other'
  switch (message[1]) {
    case SyncMessageType.Step1:
      return 'sync-step1'
    case SyncMessageType.Step2:
      return 'sync-step2'
    case SyncMessageType.Update:
      return 'sync-update'
    default:
      return 'other'
  }
}
