import { describe, expect, it } from 'vitest'
import { docIdFromUserInput, isValidDocId, newDocId, NEW_DOC_ID_LENGTH } from './doc-id'

describe('newDocId', () => {
  it('makes 12 url-safe characters using every byte value without bias', () => {
    const id = newDocId((length) => Uint8Array.from({ length }, (_, i) => i * 21))
    expect(id).toHaveLength(NEW_DOC_ID_LENGTH)
    expect(isValidDocId(id)).toBe(true)
    expect(newDocId((length) => new Uint8Array(length).fill(255))).toBe('-'.repeat(12))
    expect(newDocId((length) => new Uint8Array(length).fill(0))).toBe('A'.repeat(12))
  })

  it('makes different ids from the real random source', () => {
    expect(newDocId()).not.toBe(newDocId())
  })
})

describe('docIdFromUserInput', () => {
  const base = 'http://127.0.0.1:8080/'

  it('accepts a bare id, a path and a full link', () => {
    expect(docIdFromUserInput('  abc123  ', base)).toBe('abc123')
    expect(docIdFromUserInput('/d/abc123', base)).toBe('abc123')
    expect(docIdFromUserInput('http://example.com/d/abc123?x=1#y', base)).toBe('abc123')
  })

  it('refuses anything that does not name a valid id', () => {
    expect(docIdFromUserInput('', base)).toBeNull()
    expect(docIdFromUserInput('a b', base)).toBeNull()
    expect(docIdFromUserInput('http://example.com/other/abc', base)).toBeNull()
    expect(docIdFromUserInput('/d/a.b', base)).toBeNull()
    expect(docIdFromUserInput('/d/%E0%A4%A', base)).toBeNull()
  })
})
