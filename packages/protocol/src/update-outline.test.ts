import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { InvalidUpdateError } from './errors'
import { DEFAULT_LIMITS } from './limits'
import { outlineUpdate, type UpdateOutline } from './update-outline'

const limits = { ...DEFAULT_LIMITS, maxUpdateClientIds: 1_000 }

/**
 * The reference: what the outline must equal, computed from `Y.decodeUpdate` with the structural
 * rules checked on the decoded structs (as validateUpdate did before the outline existed).
 */
function referenceOutline(update: Uint8Array): Omit<UpdateOutline, 'bytes'> | 'refused' {
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch {
    return 'refused'
  }
  const clientIds = new Set<number>()
  const structEnds = new Map<number, number>()
  let sectionClient: number | null = null
  let sectionEnd = 0
  let sections = 0
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id
    if (client !== sectionClient || clock !== sectionEnd) {
      if (clientIds.has(client)) return 'refused'
      clientIds.add(client)
      sectionClient = client
      sections++
    }
    sectionEnd = clock + struct.length
    if (struct.length <= 0 || clock + struct.length > Number.MAX_SAFE_INTEGER) return 'refused'
    if (!(struct instanceof Y.Skip)) structEnds.set(client, clock + struct.length)
    if (struct instanceof Y.Item) {
      const parent = struct.parent instanceof Y.ID ? struct.parent : null
      for (const reference of [struct.origin, struct.rightOrigin, parent]) {
        if (reference !== null && reference.client === client && reference.clock >= clock) return 'refused'
      }
    }
  }
  const header = update[0] === undefined ? -1 : readFirstVarUint(update)
  if (header !== sections) return 'refused'
  let deleteRanges = 0
  const deletes = new Map<number, number[]>()
  for (const [client, ranges] of decoded.ds.clients) {
    clientIds.add(client)
    deleteRanges += ranges.length
    for (const range of ranges) {
      if (range.len <= 0 || range.clock + range.len > Number.MAX_SAFE_INTEGER) return 'refused'
    }
    deletes.set(client, ranges.flatMap(({ clock, len }) => [clock, len]))
  }
  if (clientIds.size > limits.maxUpdateClientIds) return 'refused'
  return { structs: decoded.structs.length, clientIds: clientIds.size, deleteRanges, structEnds, deletes }
}

function readFirstVarUint(update: Uint8Array): number {
  let value = 0
  let multiplier = 1
  for (const byte of update) {
    value += (byte & 0x7f) * multiplier
    if (byte < 0x80) return value
    multiplier *= 0x80
  }
  return -1
}

function outlineOrRefused(update: Uint8Array): Omit<UpdateOutline, 'bytes'> | 'refused' {
  try {
    const { bytes, ...outline } = outlineUpdate(update, limits)
    expect(bytes).toBe(update.length)
    return outline
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidUpdateError)
    return 'refused'
  }
}

/** Updates covering every struct and content kind Yjs writes (and GC, Skip, deletes). */
function corpus(): Uint8Array[] {
  const updates: Uint8Array[] = []
  const doc = new Y.Doc()
  doc.clientID = 11
  const captured: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => captured.push(update))
  const text = doc.getText('text')
  text.insert(0, 'plain ascii, then ünïcödé and 🙂 astral and a \uFEFF BOM')
  text.format(0, 5, { bold: true, link: { href: 'https://example.org' } })
  text.insertEmbed(3, { image: 'x.png' })
  text.delete(10, 7)
  const map = doc.getMap('map')
  map.set('number', 42)
  map.set('nested', { list: [1, 'two', null, true, { deep: [3.5] }] })
  map.set('bytes', new Uint8Array([1, 2, 3]))
  map.set('sub', new Y.Doc({ guid: 'child', autoLoad: true }))
  map.set('array', Y.Array.from([1, 2, 3]))
  map.delete('number')
  const fragment = doc.getXmlFragment('xml')
  const element = new Y.XmlElement('paragraph')
  element.setAttribute('align', 'left')
  element.insert(0, [new Y.XmlText('inside')])
  // XmlHook is not in insert's declared element types, but Yjs writes it like one.
  fragment.insert(0, [element, new Y.XmlHook('hook') as unknown as Y.XmlElement, new Y.XmlText('tail')])
  fragment.delete(1, 1)
  const array = doc.getArray<unknown>('array')
  array.insert(0, ['a', 'b', 'c', { d: 1 }])
  array.delete(1, 2)
  updates.push(...captured, Y.encodeStateAsUpdate(doc))

  // A second client, GC'd deletions, and merges with a gap (Skip structs).
  const other = new Y.Doc()
  other.clientID = 22
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
  const otherUpdates: Uint8Array[] = []
  other.on('update', (update: Uint8Array) => otherUpdates.push(update))
  other.getText('text').insert(2, 'xyz')
  other.getText('text').insert(0, 'abc')
  other.getText('text').delete(0, 6)
  updates.push(...otherUpdates, Y.mergeUpdates([otherUpdates[0]!, otherUpdates[2]!]), Y.encodeStateAsUpdate(other))
  updates.push(Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)))
  updates.push(Y.mergeUpdates([captured[0]!, captured[3]!, otherUpdates[1]!]))
  updates.push(Y.encodeStateAsUpdate(new Y.Doc()), new Uint8Array([0, 0]))
  return updates
}

/** ContentJSON is no longer written by Yjs but still read: one hand-written item of it. */
function jsonContentUpdate(values: string[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, 5) // client
  encoding.writeVarUint(encoder, 0) // clock
  encoding.writeUint8(encoder, 2) // info: JSON content, parent follows
  encoding.writeVarUint(encoder, 1) // parent is a root type's name
  encoding.writeVarString(encoder, 'array')
  encoding.writeVarUint(encoder, values.length)
  for (const value of values) encoding.writeVarString(encoder, value)
  encoding.writeVarUint(encoder, 0)
  return encoding.toUint8Array(encoder)
}

function mutations(update: Uint8Array, gen: prng.PRNG, count: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const copy = update.slice()
    switch (prng.uint32(gen, 0, 3)) {
      case 0: // flip a byte
        copy[prng.uint32(gen, 0, copy.length - 1)] = prng.uint32(gen, 0, 255)
        out.push(copy)
        break
      case 1: // truncate
        out.push(copy.slice(0, prng.uint32(gen, 0, copy.length - 1)))
        break
      case 2: {
        // insert a byte
        const at = prng.uint32(gen, 0, copy.length)
        const grown = new Uint8Array(copy.length + 1)
        grown.set(copy.subarray(0, at))
        grown[at] = prng.uint32(gen, 0, 255)
        grown.set(copy.subarray(at), at + 1)
        out.push(grown)
        break
      }
      default: // set a small value (content refs, info bits, lengths)
        copy[prng.uint32(gen, 0, copy.length - 1)] = prng.uint32(gen, 0, 12)
        out.push(copy)
    }
  }
  return out
}

describe('outlineUpdate', () => {
  it('agrees with Y.decodeUpdate on updates of every content kind', () => {
    const updates = [...corpus(), jsonContentUpdate(['{"a":1}', 'undefined', '[2]'])]
    for (const update of updates) {
      const expected = referenceOutline(update)
      expect(expected).not.toBe('refused')
      expect(outlineOrRefused(update)).toEqual(expected)
    }
  })

  it('agrees with Y.decodeUpdate on truncated and mutated updates (accepts and refuses alike)', () => {
    const gen = prng.create(7)
    let refused = 0
    let accepted = 0
    for (const update of [...corpus(), jsonContentUpdate(['{"a":1}', 'undefined'])]) {
      for (const mutated of mutations(update, gen, 300)) {
        const expected = referenceOutline(mutated)
        expect(outlineOrRefused(mutated), `mutated update ${Buffer.from(mutated).toString('hex')}`).toEqual(expected)
        if (expected === 'refused') refused++
        else accepted++
      }
    }
    // Both sides are exercised.
    expect(refused).toBeGreaterThan(1_000)
    expect(accepted).toBeGreaterThan(1_000)
  })

  it('counts string lengths in UTF-16 units, as Yjs clocks do', () => {
    const doc = new Y.Doc()
    doc.clientID = 3
    doc.getText('t').insert(0, 'a🙂b') // 4 UTF-16 units, 6 UTF-8 bytes
    expect(outlineUpdate(Y.encodeStateAsUpdate(doc), limits).structEnds).toEqual(new Map([[3, 4]]))
  })

  it('refuses invalid UTF-8 and JSON that Yjs cannot read', () => {
    const doc = new Y.Doc()
    doc.clientID = 3
    doc.getText('t').insert(0, 'é')
    const update = Y.encodeStateAsUpdate(doc)
    const broken = update.slice()
    broken[broken.indexOf(0xc3)] = 0xff
    expect(() => outlineUpdate(broken, limits)).toThrow(/does not decode/)
    expect(() => outlineUpdate(jsonContentUpdate(['{not json']), limits)).toThrow(/does not decode/)
  })

  it('leaves Skip structs out of a client’s end and counts the structs it read', () => {
    const doc = new Y.Doc()
    doc.clientID = 9
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    for (const word of ['one ', 'two ', 'three ']) doc.getText('t').insert(doc.getText('t').length, word)
    const gapped = Y.mergeUpdates([updates[0]!, updates[2]!])
    const outline = outlineUpdate(gapped, limits)
    expect(outline.structs).toBe(Y.decodeUpdate(gapped).structs.length)
    expect(Y.decodeUpdate(gapped).structs.some((struct) => struct instanceof Y.Skip)).toBe(true)
    expect(outline.structEnds.get(9)).toBe('one two three '.length)
    // A trailing Skip (no encoder writes one, a hostile client may) does not move the end either.
    const encoder = encoding.createEncoder()
    for (const value of [1, 2, 4, 0]) encoding.writeVarUint(encoder, value) // 1 section: 2 structs, client 4, clock 0
    encoding.writeUint8(encoder, 0) // GC of 3
    encoding.writeVarUint(encoder, 3)
    encoding.writeUint8(encoder, 10) // Skip of 5
    encoding.writeVarUint(encoder, 5)
    encoding.writeVarUint(encoder, 0)
    const trailing = encoding.toUint8Array(encoder)
    expect(outlineUpdate(trailing, limits).structEnds).toEqual(new Map([[4, 3]]))
    expect(outlineOrRefused(trailing)).toEqual(referenceOutline(trailing))
  })

  it('stops at the client-id limit as soon as it is passed', () => {
    const merged = Y.mergeUpdates(
      [1, 2, 3].map((client) => {
        const doc = new Y.Doc()
        doc.clientID = client
        doc.getMap('m').set('k', client)
        return Y.encodeStateAsUpdate(doc)
      }),
    )
    expect(() => outlineUpdate(merged, { ...limits, maxUpdateClientIds: 2 })).toThrow(
      'Invalid update: 3 client ids exceed maxUpdateClientIds 2',
    )
  })
})
