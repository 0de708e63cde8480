// Case 25: clients joining while the document loads from storage never see an empty document,
// even with attackers sending garbage and floods at the loading room.
import { CloseCode, encodeSyncStep1 } from '@collab/protocol'
import { openDocStore } from '@collab/storage'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  ControllableStore,
  connectClient,
  openRawClient,
  removeDir,
  startRelay,
  tempDir,
  textOf,
  waitFor,
  waitForSync,
  type TestClient,
} from '../helpers'
import { HonestPair, MeasurementLog, docHash, expectAlive, roomHash } from './support'

const log = new MeasurementLog('lifecycle')
const SEED = 'stored long before anyone joined'

describe('joining while the document loads', () => {
  afterAll(() => log.write())

  it('case 25: joiners during a slow load all first see the stored document; attackers on the loading room are refused', async () => {
    const dataDir = tempDir()
    const seeded = await openDocStore({ dataDir })
    const seedDoc = new Y.Doc()
    seedDoc.getText('text').insert(0, SEED)
    await seeded.append('case-25', [Y.encodeStateAsUpdate(seedDoc)])
    await seeded.close()

    const store = new ControllableStore(await openDocStore({ dataDir }))
    store.loadGate.close()
    const relay = await startRelay({ dataDir, store })
    const joiners: TestClient[] = []
    try {
      await log.measure(25, 'joining while the document is loading', async () => {
        const textAtFirstSync: string[] = []
        for (let i = 0; i < 5; i++) {
          const joiner = connectClient(relay.syncUrl, 'case-25')
          joiner.provider.once('sync', () => textAtFirstSync.push(textOf(joiner.doc)))
          joiners.push(joiner)
        }
        await waitFor(() => store.loadGate.waiting === 1, { message: 'the load to start (and hang)' })
        await waitFor(() => joiners.every((joiner) => joiner.provider.wsconnected), { message: 'the joiners\' sockets to open' })

        // While it loads: garbage is refused at once; a flood overruns the load inbox.
        const garbage = await openRawClient(relay.syncUrl, 'case-25')
        garbage.send([0xff, 0xff])
        const flooder = await openRawClient(relay.syncUrl, 'case-25')
        const step1 = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))
        for (let i = 0; i < 1_100; i++) flooder.send(step1)
        expect((await garbage.closed).code).toBe(CloseCode.MalformedFrame)
        expect((await flooder.closed).code).toBe(CloseCode.RateLimited)
        expect(joiners.some((joiner) => joiner.provider.synced)).toBe(false)

        store.loadGate.open()
        await Promise.all(joiners.map((joiner) => waitForSync(joiner.provider)))
        expect(textAtFirstSync).toEqual(joiners.map(() => SEED))
        expect(store.loadCalls).toBe(1)
        // The room holds exactly what was stored: nothing of the attack.
        const stored = new Y.Doc()
        Y.applyUpdate(stored, Y.encodeStateAsUpdate(seedDoc))
        expect(textOf(relay.app.relay.rooms.get('case-25')!.doc)).toBe(SEED)
        expect(roomHash(relay, 'case-25')).toBe(docHash(stored))
        return '5 joiners: first sync showed the stored text; garbage 4400 and a 1,100-frame flood 4529 while loading'
      }, (outcome) => outcome)
      await expectAlive(relay)
      await HonestPair.adopt(joiners[0]!, joiners[1]!, 'case-25').keepsSyncing('after the load')
    } finally {
      for (const joiner of joiners) joiner.destroy()
      await relay.close()
      removeDir(dataDir)
    }
  })
})
