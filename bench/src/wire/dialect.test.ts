import { encodeSyncStep1, encodeSyncUpdate } from '@collab/protocol'
import * as decoding from 'lib0/decoding'
import { describe, expect, it } from 'vitest'
import { DIALECTS, messageKind } from './dialect'
import { HocuspocusAuthType, HocuspocusMessageType, encodeHocuspocusAuth, prefixDocumentName } from './hocuspocus-frame'

describe('Hocuspocus framing', () => {
  it('opens a document with varString(name) · auth · token · varString(token)', () => {
    const decoder = decoding.createDecoder(encodeHocuspocusAuth('doc-ü', 'secret'))
    expect(decoding.readVarString(decoder)).toBe('doc-ü')
    expect(decoding.readVarUint(decoder)).toBe(HocuspocusMessageType.Auth)
    expect(decoding.readVarUint(decoder)).toBe(HocuspocusAuthType.Token)
    expect(decoding.readVarString(decoder)).toBe('secret')
    expect(decoding.hasContent(decoder)).toBe(false)
  })

  it('wraps and unwraps y-protocols messages; a sync reply reads as a sync message', () => {
    const hocuspocus = DIALECTS.hocuspocus
    const update = encodeSyncUpdate(new Uint8Array([0, 0]))
    expect(hocuspocus.unwrap(hocuspocus.wrap('d', update))).toEqual(update)
    const step1 = encodeSyncStep1(new Uint8Array([0]))
    const reply = prefixDocumentName('d', new Uint8Array([HocuspocusMessageType.SyncReply, ...step1.subarray(1)]))
    const unwrapped = hocuspocus.unwrap(reply)
    expect(unwrapped).not.toBeNull()
    expect(messageKind(unwrapped!)).toBe('sync-step1')
  })

  it('hides dialect-only messages (sync status, authenticated)', () => {
    const hocuspocus = DIALECTS.hocuspocus
    expect(hocuspocus.unwrap(prefixDocumentName('d', new Uint8Array([HocuspocusMessageType.SyncStatus, 1])))).toBeNull()
    expect(hocuspocus.unwrap(prefixDocumentName('d', new Uint8Array([HocuspocusMessageType.Auth, HocuspocusAuthType.Authenticated, 0])))).toBeNull()
  })

  it('leaves y-websocket messages as they are', () => {
    const update = encodeSyncUpdate(new Uint8Array([0, 0]))
    expect(DIALECTS['y-websocket'].wrap('d', update)).toBe(update)
    expect(messageKind(update)).toBe('sync-update')
  })
})
