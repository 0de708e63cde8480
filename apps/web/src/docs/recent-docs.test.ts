import { describe, expect, it } from 'vitest'
import { loadRecentDocs, MAX_RECENT_DOCS, rememberDoc } from './recent-docs'

function memoryStorage(initial: Record<string, string> = {}): Storage {
  const data = new Map(Object.entries(initial))
  return {
    get length() {
      return data.size
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => void data.delete(key),
    setItem: (key, value) => void data.set(key, value),
  }
}

describe('recent docs', () => {
  it('remembers opens newest first and keeps the title across opens', () => {
    const storage = memoryStorage()
    rememberDoc('a', { nowMs: 1 }, storage)
    rememberDoc('b', { nowMs: 2 }, storage)
    rememberDoc('a', { title: 'Plans' }, storage)
    rememberDoc('a', { nowMs: 3 }, storage)
    expect(loadRecentDocs(storage)).toEqual([
      { docId: 'a', title: 'Plans', lastOpenedAtMs: 3 },
      { docId: 'b', title: '', lastOpenedAtMs: 2 },
    ])
  })

  it('reads corrupt or hostile storage as empty or drops the bad entries', () => {
    expect(loadRecentDocs(memoryStorage({ 'collab:recent-docs': '{not json' }))).toEqual([])
    expect(loadRecentDocs(memoryStorage({ 'collab:recent-docs': '{"a":1}' }))).toEqual([])
    const mixed = JSON.stringify([
      { docId: 'ok', title: 'T', lastOpenedAtMs: 5 },
      { docId: 'bad id', title: 'x', lastOpenedAtMs: 1 },
      { docId: 'noTime', title: 'x' },
      null,
      { docId: 'weirdTitle', title: 42, lastOpenedAtMs: 2 },
    ])
    expect(loadRecentDocs(memoryStorage({ 'collab:recent-docs': mixed }))).toEqual([
      { docId: 'ok', title: 'T', lastOpenedAtMs: 5 },
      { docId: 'weirdTitle', title: '', lastOpenedAtMs: 2 },
    ])
  })

  it('keeps at most MAX_RECENT_DOCS entries', () => {
    const storage = memoryStorage()
    for (let i = 0; i < MAX_RECENT_DOCS + 5; i++) rememberDoc(`d${i}`, { nowMs: i }, storage)
    const docs = loadRecentDocs(storage)
    expect(docs).toHaveLength(MAX_RECENT_DOCS)
    expect(docs[0]?.docId).toBe(`d${MAX_RECENT_DOCS + 4}`)
  })
})
