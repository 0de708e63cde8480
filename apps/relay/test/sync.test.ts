import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  connectClient,
  getJson,
  removeDir,
  startRelay,
  textOf,
  waitFor,
  waitForSync,
  type StartedRelay,
  type TestClient,
} from './helpers'

describe('sync through stock y-websocket clients', () => {
  let relay: StartedRelay | undefined
  const clients: TestClient[] = []
  const dirs: string[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await relay?.close()
    relay = undefined
    for (const dir of dirs.splice(0)) removeDir(dir)
  })

  async function start(dataDir?: string): Promise<StartedRelay> {
    relay = await startRelay(dataDir === undefined ? {} : { dataDir })
    if (!dirs.includes(relay.dataDir)) dirs.push(relay.dataDir)
    return relay
  }

  function client(docId: string, doc?: Y.Doc): TestClient {
    const created = connectClient(relay!.syncUrl, docId, doc ? { doc } : {})
    clients.push(created)
    return created
  }

  it('several clients converge', async () => {
    await start()
    const [a, b, c] = [client('converge'), client('converge'), client('converge')]
    await Promise.all([a, b, c].map((x) => waitForSync(x.provider)))
    a.doc.getText('text').insert(0, 'alpha ')
    b.doc.getText('text').insert(0, 'beta ')
    c.doc.getText('text').insert(0, 'gamma ')
    await waitFor(() => {
      const texts = [a, b, c].map((x) => textOf(x.doc))
      return texts[0]!.length === 17 && texts.every((t) => t === texts[0])
    }, { message: 'three clients to converge' })
    expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(c.doc))
  })

  it('a late joiner receives the full state', async () => {
    await start()
    const writer = client('late')
    await waitForSync(writer.provider)
    for (let i = 0; i < 50; i++) writer.doc.getText('text').insert(i, String(i % 10))
    const late = client('late')
    await waitFor(() => textOf(late.doc) === textOf(writer.doc), { message: 'late joiner to catch up' })
    expect(textOf(late.doc)).toHaveLength(50)
  })

  it('restarting the relay keeps the document', async () => {
    const first = await start()
    const writer = client('durable')
    await waitForSync(writer.provider)
    writer.doc.getText('text').insert(0, 'survives restarts')
    await waitFor(async () => (await getJson<{ logEntries: number }>(first, '/api/docs/durable')).body.logEntries > 0, {
      message: 'the update to be stored',
    })
    for (const c of clients.splice(0)) c.destroy()
    await first.close()

    await start(first.dataDir)
    const reader = client('durable')
    await waitForSync(reader.provider)
    expect(textOf(reader.doc)).toBe('survives restarts')
  })
})
