// The relay alone, without a browser: health, doc id validation on the WebSocket route, and a
// stock y-websocket client syncing and surviving a restart (the public contract).
import * as Y from 'yjs'
import { connectStockClient, covers, storedStateVector, tryWebSocket } from '../support/stock-client'
import { expect, pollUntil, test } from '../support/test'

function syncBase(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}/sync`
}

test('healthz and readyz answer 200', async ({ request }) => {
  expect((await request.get('/healthz')).status()).toBe(200)
  expect((await request.get('/readyz')).status()).toBe(200)
})

const invalidDocIds: ReadonlyArray<[string, string]> = [
  ['a space', 'bad%20id'],
  ['a dot', 'bad.id'],
  ['129 characters', 'a'.repeat(129)],
  ['non-ASCII', encodeURIComponent('dökument')],
]

for (const [what, pathSegment] of invalidDocIds) {
  test(`a WebSocket for a doc id with ${what} is refused`, async ({ target }) => {
    const outcome = await tryWebSocket(`${syncBase(target.baseUrl)}/${pathSegment}`)
    expect(outcome.kind, `relay answered ${JSON.stringify(outcome)}`).not.toBe('open')
    // HTTP 400 before the upgrade, or close code 4404 invalid-doc-id (packages/protocol PROTOCOL.md).
    if (outcome.kind === 'http') expect(outcome.status).toBe(400)
    if (outcome.kind === 'close') expect(outcome.code).toBe(4404)
  })
}

test('two stock y-websocket clients sync through the relay', async ({ target, docId }) => {
  const first = connectStockClient(syncBase(target.baseUrl), docId)
  const second = connectStockClient(syncBase(target.baseUrl), docId)
  try {
    await Promise.all([first.synced(), second.synced()])
    first.doc.getText('t').insert(0, 'hello from a stock client')
    second.doc.getMap('m').set('k', 42)
    await pollUntil(
      () => second.doc.getText('t').toString() === 'hello from a stock client' && first.doc.getMap('m').get('k') === 42,
      { timeoutMs: 15_000, message: 'both edits to reach the other client' },
    )
    expect(Y.encodeStateVector(first.doc)).toEqual(Y.encodeStateVector(second.doc))
  } finally {
    first.destroy()
    second.destroy()
  }
})

test.describe('with a relay of its own', () => {
  test.use({ relayPerTest: true })

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`a stored document survives a ${signal} restart`, async ({ relay, docId }) => {
      const text = `written before ${signal}`
      const writer = connectStockClient(relay.syncUrl, docId)
      try {
        await writer.synced()
        writer.doc.getText('t').insert(0, text)
        // Only what the relay confirms as stored has to survive a crash.
        const local = Y.decodeStateVector(Y.encodeStateVector(writer.doc))
        await pollUntil(async () => covers(await storedStateVector(relay.syncUrl, docId), local), {
          timeoutMs: 15_000,
          message: 'the relay to confirm the edit as stored',
        })
      } finally {
        writer.destroy()
      }
      if (signal === 'SIGTERM') await relay.stop()
      else await relay.kill('SIGKILL')
      await relay.start()
      const reader = connectStockClient(relay.syncUrl, docId)
      try {
        await reader.synced()
        expect(reader.doc.getText('t').toString()).toBe(text)
      } finally {
        reader.destroy()
      }
    })
  }
})
