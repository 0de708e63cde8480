import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from './close-code'
import { InvalidUpdateError, ProtocolError, UpdateTooLargeError } from './errors'
import { DEFAULT_LIMITS } from './limits'
import { validateUpdate } from './validate-update'

const limits = DEFAULT_LIMITS

function refusal(update: Uint8Array, overrides: Partial<typeof limits> = {}): ProtocolError {
  try {
    validateUpdate(update, { ...limits, ...overrides })
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return error as ProtocolError
  }
  throw new Error('expected validateUpdate to refuse')
}

/** An update with "hello world" typed and "hello " deleted: structs then a delete set. */
function updateWithDeletes(): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, 'hello world')
  doc.getText('t').delete(0, 6)
  return Y.encodeStateAsUpdate(doc)
}

/** A hand-written V1 update: one GC struct of `length` at `clock` for `client`, empty delete set. */
function gcUpdate(client: number, clock: number, length: number): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1) // clients with structs
  encoding.writeVarUint(encoder, 1) // structs of this client
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, clock)
  encoding.writeUint8(encoder, 0) // info: GC
  encoding.writeVarUint(encoder, length)
  encoding.writeVarUint(encoder, 0) // delete set: no clients
  return encoding.toUint8Array(encoder)
}

describe('validateUpdate', () => {
  it('accepts a valid update and summarises it', () => {
    const summary = validateUpdate(updateWithDeletes(), limits)
    expect(summary.clientIds).toBe(1)
    expect(summary.structs).toBeGreaterThan(0)
    expect(summary.deleteRanges).toBe(1)
  })

  it('accepts the empty update', () => {
    const empty = Y.encodeStateAsUpdate(new Y.Doc())
    expect(validateUpdate(empty, limits)).toMatchObject({ bytes: empty.length, structs: 0, clientIds: 0, deleteRanges: 0 })
  })

  it('refuses updates over maxUpdateBytes', () => {
    const update = updateWithDeletes()
    const error = refusal(update, { maxUpdateBytes: update.length - 1 })
    expect(error).toBeInstanceOf(UpdateTooLargeError)
    expect(error.closeCode).toBe(CloseCode.UpdateTooLarge)
    expect(error.message).toBe(`Update of ${update.length} bytes exceeds maxUpdateBytes ${update.length - 1}`)
    expect(new UpdateTooLargeError(2_100_000, 1_048_576).message).toBe(
      'Update of 2,100,000 bytes exceeds maxUpdateBytes 1,048,576',
    )
  })

  it('refuses a corrupt delete set that Y.applyUpdate would half-apply', () => {
    const corrupt = updateWithDeletes().slice(0, -1)
    const error = refusal(corrupt)
    expect(error).toBeInstanceOf(InvalidUpdateError)
    expect(error.closeCode).toBe(CloseCode.InvalidUpdate)
    // Why we validate first: applyUpdate integrates the structs and only then throws.
    const doc = new Y.Doc()
    expect(() => Y.applyUpdate(doc, corrupt)).toThrow()
    expect(doc.getText('t').toString()).toBe('world')
  })

  it('refuses truncated structs and garbage', () => {
    expect(refusal(updateWithDeletes().slice(0, 12))).toBeInstanceOf(InvalidUpdateError)
    expect(refusal(Uint8Array.from([1, 1, 5, 0, 31, 0]))).toBeInstanceOf(InvalidUpdateError)
    expect(refusal(new Uint8Array([0xff]))).toBeInstanceOf(InvalidUpdateError)
  })

  it('refuses hostile nesting in ContentAny without a stack overflow escaping', () => {
    // One Item with ContentAny holding 200k nested one-element arrays (readAny recurses).
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, 9) // client
    encoding.writeVarUint(encoder, 0) // clock
    encoding.writeUint8(encoder, 8) // ContentAny, no origins: parent info follows
    encoding.writeVarUint(encoder, 1) // parentInfo = 1: parent is a root type by name
    encoding.writeVarString(encoder, 'm')
    encoding.writeVarUint(encoder, 1) // one value
    for (let i = 0; i < 200_000; i++) {
      encoding.writeUint8(encoder, 117) // array
      encoding.writeVarUint(encoder, 1)
    }
    encoding.writeUint8(encoder, 127) // undefined
    encoding.writeVarUint(encoder, 0)
    const error = refusal(encoding.toUint8Array(encoder))
    expect(error).toBeInstanceOf(InvalidUpdateError)
    expect(error.message).toMatch(/call stack/i)
  })

  it('refuses clocks that run past 2^53 - 1', () => {
    expect(validateUpdate(gcUpdate(5, 100, 10), limits).structs).toBe(1)
    const error = refusal(gcUpdate(5, Number.MAX_SAFE_INTEGER - 3, 10))
    expect(error.message).toBe('Invalid update: clock of client 5 runs past 2^53 - 1')
  })

  it('refuses more distinct client ids than maxUpdateClientIds', () => {
    const docs = [1, 2, 3].map((client) => {
      const doc = new Y.Doc()
      doc.clientID = client
      doc.getMap('m').set('k', client)
      return Y.encodeStateAsUpdate(doc)
    })
    const merged = Y.mergeUpdates(docs)
    expect(validateUpdate(merged, { ...limits, maxUpdateClientIds: 3 }).clientIds).toBe(3)
    expect(refusal(merged, { maxUpdateClientIds: 2 }).message).toBe(
      'Invalid update: 3 client ids exceed maxUpdateClientIds 2',
    )
  })

  it('returns the decoded structs and delete set', () => {
    const { decoded } = validateUpdate(updateWithDeletes(), limits)
    expect(decoded.structs.length).toBeGreaterThan(0)
    expect([...decoded.deletes.values()].flat()).toEqual([{ clock: 0, len: 6 }])
  })

  it('refuses a client with two struct sections (Yjs would keep only the last)', () => {
    const sections = (clocks: number[], structs = 1) => {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, clocks.length)
      for (const clock of clocks) {
        encoding.writeVarUint(encoder, structs)
        encoding.writeVarUint(encoder, 7)
        encoding.writeVarUint(encoder, clock)
        for (let i = 0; i < structs; i++) {
          encoding.writeUint8(encoder, 0) // GC
          encoding.writeVarUint(encoder, 3)
        }
      }
      encoding.writeVarUint(encoder, 0)
      return encoding.toUint8Array(encoder)
    }
    expect(refusal(sections([0, 10])).message).toBe('Invalid update: client 7 has two struct sections')
    // Touching sections would decode like one run.
    expect(refusal(sections([0, 3])).message).toBe('Invalid update: client 7 has two struct sections')
    expect(refusal(sections([0], 0)).message).toBe('Invalid update: the struct section of client 7 has no structs')
    expect(validateUpdate(sections([0], 2), limits).structs).toBe(2)
  })

  it('refuses empty structs and empty deleted ranges', () => {
    expect(refusal(gcUpdate(5, 0, 0)).message).toBe('Invalid update: struct 5:0 is empty')
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0) // no structs
    encoding.writeVarUint(encoder, 1) // one client in the delete set
    encoding.writeVarUint(encoder, 4)
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, 2) // clock
    encoding.writeVarUint(encoder, 0) // len
    const update = encoding.toUint8Array(encoder)
    expect(refusal(update).message).toBe('Invalid update: deleted range 4:2 is empty')
    // Why: Yjs half-applies it and then throws while re-encoding the range.
    expect(() => Y.applyUpdate(new Y.Doc(), update)).toThrow()
  })

  it('refuses an item that references its own client at or after its own clock', () => {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, 2) // two structs
    encoding.writeVarUint(encoder, 3) // client
    encoding.writeVarUint(encoder, 0) // clock
    for (const origin of [null, 5]) {
      encoding.writeUint8(encoder, origin === null ? 4 : 4 | 0x80) // ContentString (+ origin)
      if (origin === null) {
        encoding.writeVarUint(encoder, 1)
        encoding.writeVarString(encoder, 't')
      } else {
        encoding.writeVarUint(encoder, 3)
        encoding.writeVarUint(encoder, origin)
      }
      encoding.writeVarString(encoder, 'x')
    }
    encoding.writeVarUint(encoder, 0)
    const update = encoding.toUint8Array(encoder)
    expect(refusal(update).message).toBe('Invalid update: item 3:1 references 3:5, not before it')
    const doc = new Y.Doc()
    expect(() => Y.applyUpdate(doc, update)).toThrow()
    expect(doc.getText('t').toString()).toBe('x') // half applied: why it is refused up front
  })
})
