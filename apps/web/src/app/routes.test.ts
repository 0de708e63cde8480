import { describe, expect, it } from 'vitest'
import { docPath, parseRoute } from './routes'

describe('parseRoute', () => {
  it('maps / to the documents page', () => {
    expect(parseRoute('/')).toEqual({ kind: 'documents' })
  })

  it('maps /d/<id> to the editor, with or without a trailing slash', () => {
    expect(parseRoute('/d/abc_DEF-123')).toEqual({ kind: 'editor', docId: 'abc_DEF-123' })
    expect(parseRoute('/d/abc/')).toEqual({ kind: 'editor', docId: 'abc' })
  })

  it('refuses ids outside the contract rule', () => {
    expect(parseRoute('/d/has%20space')).toEqual({ kind: 'invalid-doc', rawDocId: 'has space' })
    expect(parseRoute('/d/a.b')).toEqual({ kind: 'invalid-doc', rawDocId: 'a.b' })
    expect(parseRoute('/d/')).toEqual({ kind: 'invalid-doc', rawDocId: '' })
    expect(parseRoute(`/d/${'x'.repeat(129)}`).kind).toBe('invalid-doc')
    expect(parseRoute(`/d/${'x'.repeat(128)}`).kind).toBe('editor')
    expect(parseRoute('/d/a/b').kind).toBe('invalid-doc')
  })

  it('does not throw on malformed percent-encoding', () => {
    expect(parseRoute('/d/%E0%A4%A')).toEqual({ kind: 'invalid-doc', rawDocId: '%E0%A4%A' })
  })

  it('reports other paths as not found', () => {
    expect(parseRoute('/nope')).toEqual({ kind: 'not-found', path: '/nope' })
  })

  it('builds the shareable path', () => {
    expect(docPath('abc')).toBe('/d/abc')
  })
})
