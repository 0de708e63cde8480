// Cases 10, 11, 12: presence (awareness) for someone else's client id, absurd clocks, states that
// are too large or too deep, and floods. Foreign ids are ignored (stock clients echo every state
// they learn); everything else closes the sender with 4423 or 4529; states vanish on close.
import { CloseCode, encodeAwareness, encodeAwarenessEntries } from '@collab/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRawClient, removeDir, startRelay, waitFor, type RawClient, type StartedRelay } from '../helpers'
import { MeasurementLog, runCase } from './support'

const log = new MeasurementLog('awareness')

function awarenessFrame(entries: Array<{ clientId: number; clock: number; state: unknown }>): Uint8Array {
  return encodeAwareness(
    encodeAwarenessEntries(entries.map((entry) => ({ clientId: entry.clientId, clock: entry.clock, stateJson: JSON.stringify(entry.state) }))),
  )
}

async function attacker(relay: StartedRelay, docId: string): Promise<RawClient> {
  return await openRawClient(relay.syncUrl, docId)
}

describe('hostile awareness', () => {
  let relay: StartedRelay

  beforeAll(async () => {
    relay = await startRelay()
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('case 10: a state for a foreign client id is ignored; a huge clock or clock jump closes with 4423', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 10,
      title: 'awareness: foreign client id / huge clock',
      docId: 'case-10',
      async attack(pair) {
        const victim = pair.a.doc.clientID
        const victimClock = pair.a.provider.awareness.meta.get(victim)!.clock
        const spoofer = await attacker(relay, 'case-10')
        // The spoofed entry and the attacker's own marker travel in one update: once the marker
        // is visible, the spoofed entry has been handled too.
        spoofer.send(awarenessFrame([
          { clientId: victim, clock: victimClock + 5, state: { user: 'evil' } },
          { clientId: 31337, clock: 1, state: { marker: true } },
        ]))
        const bStates = pair.b.provider.awareness.getStates()
        await waitFor(() => (bStates.get(31337) as { marker?: boolean } | undefined)?.marker === true, {
          message: 'the attacker\'s own state to reach b',
        })
        expect(bStates.get(victim)).toEqual({ user: 'a' })
        expect(spoofer.socket.readyState).toBe(spoofer.socket.OPEN)

        const huge = await attacker(relay, 'case-10')
        huge.send(awarenessFrame([{ clientId: 4242, clock: 2 ** 31, state: { user: 'x' } }]))
        const jump = await attacker(relay, 'case-10')
        jump.send(awarenessFrame([{ clientId: 4343, clock: 1, state: { user: 'y' } }]))
        jump.send(awarenessFrame([{ clientId: 4343, clock: 1_000_000, state: { user: 'y' } }]))
        expect((await huge.closed).code).toBe(CloseCode.InvalidAwareness)
        expect((await jump.closed).code).toBe(CloseCode.InvalidAwareness)

        spoofer.socket.close()
        await waitFor(() => !pair.b.provider.awareness.getStates().has(31337), { message: 'the attacker\'s state to vanish on close' })
        await waitFor(() => !pair.b.provider.awareness.getStates().has(4343), { message: 'the refused connection\'s state to vanish' })
        return 'foreign id ignored (socket stays open); clock 2^31 and a jump of 999,999: 4423; states removed on close'
      },
    })
  })

  it('case 11: awareness states that are too large, too deep or too many close with 4423', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 11,
      title: 'awareness state too large / too deep',
      docId: 'case-11',
      async attack(pair) {
        const deep = '['.repeat(64) + ']'.repeat(64)
        const frames = [
          awarenessFrame([{ clientId: 5001, clock: 1, state: { blob: 'z'.repeat(9 * 1024) } }]),
          encodeAwareness(encodeAwarenessEntries([{ clientId: 5002, clock: 1, stateJson: deep }])),
          encodeAwareness(encodeAwarenessEntries([{ clientId: 5003, clock: 1, stateJson: '{"unterminated' }])),
          awarenessFrame(Array.from({ length: 5_000 }, (_, i) => ({ clientId: 6000 + i, clock: 1, state: null }))),
        ]
        const codes = await Promise.all(
          frames.map(async (frame) => {
            const client = await attacker(relay, 'case-11')
            client.send(frame)
            return (await client.closed).code
          }),
        )
        expect(codes).toEqual(frames.map(() => CloseCode.InvalidAwareness))
        for (const id of [5001, 5002, 5003]) expect(pair.b.provider.awareness.getStates().has(id)).toBe(false)
        return '9 KiB state, depth 64, invalid JSON, 5,000 entries: each 4423'
      },
    })
  })

  it('case 12: an awareness flood closes with 4529; honest presence keeps flowing', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 12,
      title: 'awareness flood',
      docId: 'case-12',
      async attack(pair) {
        const frames = Array.from({ length: 6_000 }, (_, i) => awarenessFrame([{ clientId: 7777, clock: i + 1, state: { cursor: i } }]))
        const flooder = await attacker(relay, 'case-12')
        for (const frame of frames) flooder.send(frame)
        expect((await flooder.closed).code).toBe(CloseCode.RateLimited)
        pair.a.provider.awareness.setLocalState({ user: 'a', after: 'flood' })
        await waitFor(() => (pair.b.provider.awareness.getStates().get(pair.a.doc.clientID) as { after?: string } | undefined)?.after === 'flood', {
          message: 'honest presence to reach b after the flood',
        })
        await waitFor(() => !pair.b.provider.awareness.getStates().has(7777), { message: 'the flooder\'s state to vanish' })
        return '6,000 awareness frames: closed with 4529 after the burst; its state removed'
      },
    })
  })
})
