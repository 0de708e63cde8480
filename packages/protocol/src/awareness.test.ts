import * as awarenessProtocol from 'y-protocols/awareness'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeAwarenessEntries, jsonNestingDepth, parseAwarenessEntries, readAwarenessUpdate } from './awareness'
import { CloseCode } from './close-code'
import { InvalidAwarenessError } from './errors'
import { DEFAULT_LIMITS } from './limits'

const entry = (clientId: number, stateJson: string, clock = 1) => ({
  clientId,
  clock,
  stateJson,
  stateBytes: new TextEncoder().encode(stateJson).length,
})

describe('awareness entries', () => {
  it('round-trips through y-protocols', () => {
    const doc = new Y.Doc()
    const awareness = new awarenessProtocol.Awareness(doc)
    awareness.setLocalState({ user: { name: 'Zoë' }, cursor: null })
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])
    const entries = readAwarenessUpdate(update)
    expect(entries).toHaveLength(1)
    expect(encodeAwarenessEntries(entries)).toEqual(update)

    const mirror = new awarenessProtocol.Awareness(new Y.Doc())
    awarenessProtocol.applyAwarenessUpdate(mirror, encodeAwarenessEntries(entries), 'test')
    expect(mirror.getStates().get(doc.clientID)).toEqual({ user: { name: 'Zoë' }, cursor: null })
    awareness.destroy()
    mirror.destroy()
  })

  it('parses states, null meaning removal', () => {
    const parsed = parseAwarenessEntries([entry(1, '{"a":[1,2]}'), entry(2, 'null', 7)], DEFAULT_LIMITS)
    expect(parsed).toEqual([
      { clientId: 1, clock: 1, state: { a: [1, 2] }, stateJson: '{"a":[1,2]}' },
      { clientId: 2, clock: 7, state: null, stateJson: 'null' },
    ])
  })

  it('refuses states over maxAwarenessStateBytes', () => {
    const big = JSON.stringify({ name: 'x'.repeat(100) })
    const limits = { ...DEFAULT_LIMITS, maxAwarenessStateBytes: 50 }
    expect(() => parseAwarenessEntries([entry(3, big)], limits)).toThrow(InvalidAwarenessError)
    try {
      parseAwarenessEntries([entry(3, big)], limits)
    } catch (error) {
      expect((error as InvalidAwarenessError).closeCode).toBe(CloseCode.InvalidAwareness)
      expect((error as Error).message).toBe(
        'Invalid awareness update: state of client 3 is 111 bytes, exceeding maxAwarenessStateBytes 50',
      )
    }
  })

  it('refuses states nested deeper than maxAwarenessJsonDepth without recursing', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const limits = { ...DEFAULT_LIMITS, maxAwarenessStateBytes: 1_000_000 }
    expect(() => parseAwarenessEntries([entry(4, deep)], limits)).toThrow(/nests 100000 levels/)
  })

  it('refuses invalid JSON and too many entries', () => {
    expect(() => parseAwarenessEntries([entry(5, '{nope')], DEFAULT_LIMITS)).toThrow(/not valid JSON/)
    const many = Array.from({ length: 3 }, (_, i) => entry(i, '{}'))
    expect(() => parseAwarenessEntries(many, { ...DEFAULT_LIMITS, maxAwarenessEntries: 2 })).toThrow(
      /3 entries exceed maxAwarenessEntries 2/,
    )
  })

  it('refuses absurd clocks (above 2^31 - 1)', () => {
    expect(parseAwarenessEntries([entry(6, '{}', 2 ** 31 - 1)], DEFAULT_LIMITS)).toHaveLength(1)
    expect(() => parseAwarenessEntries([entry(6, '{}', 2 ** 31)], DEFAULT_LIMITS)).toThrow(
      'Invalid awareness update: clock 2,147,483,648 of client 6 exceeds 2,147,483,647',
    )
  })

  it('measures JSON nesting, ignoring brackets inside strings', () => {
    expect(jsonNestingDepth('null')).toBe(0)
    expect(jsonNestingDepth('{"a":{"b":[1]}}')).toBe(3)
    expect(jsonNestingDepth('{"a":"[[[[{{{{"}')).toBe(1)
    expect(jsonNestingDepth('{"a":"\\"[[[["}')).toBe(1)
    expect(jsonNestingDepth('[[],[[]],[]]')).toBe(3)
  })
})
