import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { seededRandom } from '../util/rng'
import { meterUpdate, UnreadableUpdateError, type ClientProgress } from './update-meter'

/** The same facts, read with Yjs itself. */
function referenceProgress(update: Uint8Array): Map<number, ClientProgress> {
  const { structs, ds } = Y.decodeUpdate(update)
  const result = new Map<number, ClientProgress>()
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue
    const entry = result.get(struct.id.client) ?? { endClock: 0, deleted: 0 }
    entry.endClock = Math.max(entry.endClock, struct.id.clock + struct.length)
    result.set(struct.id.client, entry)
  }
  for (const [client, items] of ds.clients) {
    const entry = result.get(client) ?? { endClock: 0, deleted: 0 }
    for (const item of items) entry.deleted += item.len
    result.set(client, entry)
  }
  return result
}

function randomEdits(seed: number): Uint8Array[] {
  const random = seededRandom(seed)
  const doc = new Y.Doc()
  doc.clientID = 1 + Math.floor(random() * 1_000_000)
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  const text = doc.getText('text')
  const map = doc.getMap('map')
  const xml = doc.getXmlFragment('prosemirror')
  for (let i = 0; i < 300; i++) {
    const choice = random()
    if (choice < 0.45) text.insert(Math.floor(random() * (text.length + 1)), random() < 0.1 ? 'ü😀x' : 'ab'.slice(0, 1 + Math.floor(random() * 2)))
    else if (choice < 0.65 && text.length > 0) {
      const at = Math.floor(random() * text.length)
      text.delete(at, Math.min(text.length - at, 1 + Math.floor(random() * 3)))
    } else if (choice < 0.75) text.format(0, Math.min(text.length, 3), { bold: random() < 0.5 ? true : null })
    else if (choice < 0.85) map.set(`k${Math.floor(random() * 5)}`, random() < 0.5 ? { n: i, s: 'x' } : new Uint8Array([1, 2, 3]))
    else if (choice < 0.95) xml.insert(0, [new Y.XmlElement('paragraph')])
    else text.insertEmbed(0, { image: 'x.png' })
  }
  return updates
}

describe('meterUpdate', () => {
  it('agrees with Y.decodeUpdate on every update of random edits (seeds 1..5)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      for (const update of randomEdits(seed)) {
        const progress = new Map<number, ClientProgress>()
        meterUpdate(update, progress)
        expect(progress, `seed ${seed}`).toEqual(referenceProgress(update))
      }
    }
  })

  it('reads merged updates (with skips) and full states like Yjs does', () => {
    const updates = randomEdits(7)
    const merged = Y.mergeUpdates([updates[3]!, updates[40]!, updates[200]!])
    const progress = new Map<number, ClientProgress>()
    meterUpdate(merged, progress)
    expect(progress).toEqual(referenceProgress(merged))

    const doc = new Y.Doc()
    for (const update of updates) Y.applyUpdate(doc, update)
    const state = Y.encodeStateAsUpdate(doc)
    const stateProgress = new Map<number, ClientProgress>()
    meterUpdate(state, stateProgress)
    expect(stateProgress).toEqual(referenceProgress(state))
  })

  it('refuses garbage with a typed error', () => {
    expect(() => meterUpdate(new Uint8Array([1, 1, 5, 0, 0x1f]), new Map())).toThrow(UnreadableUpdateError)
  })
})
