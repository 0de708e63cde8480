import { schema } from '@collab/editor'
import { EditorState } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import { LONG_DOCUMENT_BLOCKS, longDocumentPlugin } from './long-document-plugin'

function attributesFor(blocks: number, threshold?: number): unknown {
  const paragraphs = Array.from({ length: blocks }, (_, index) => schema.node('paragraph', null, schema.text(`line ${index}`)))
  const plugin = longDocumentPlugin(threshold)
  const state = EditorState.create({ schema, doc: schema.node('doc', null, paragraphs), plugins: [plugin] })
  const attributes = plugin.props.attributes
  return typeof attributes === 'function' ? attributes.call(plugin, state) : attributes
}

describe('longDocumentPlugin', () => {
  it('marks a document of at least the threshold of top-level blocks as long', () => {
    expect(attributesFor(LONG_DOCUMENT_BLOCKS)).toEqual({ class: 'is-long' })
    expect(attributesFor(5, 3)).toEqual({ class: 'is-long' })
  })

  it('leaves shorter documents alone', () => {
    expect(attributesFor(LONG_DOCUMENT_BLOCKS - 1)).toEqual({})
    expect(attributesFor(1)).toEqual({})
  })
})
