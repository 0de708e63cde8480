// Cases 1, 2, 3, 5, 8: frames that do not follow the grammar, unknown message types, oversized
// and fragmented messages. Each closes only the attacker's socket with the documented code.
import { CloseCode, encodeSyncUpdate } from '@collab/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openRawClient, removeDir, startRelay, waitFor, type StartedRelay } from '../helpers'
import { MeasurementLog, rawUpgrade, runCase, wsFrame } from './support'

const log = new MeasurementLog('frames')
const MAX_FRAME_BYTES = 64 * 1024

/** Sends each frame on its own socket; resolves with the close codes. */
async function closeCodes(relay: StartedRelay, docId: string, frames: ReadonlyArray<Uint8Array | number[] | string>): Promise<number[]> {
  return await Promise.all(
    frames.map(async (frame) => {
      const attacker = await openRawClient(relay.syncUrl, docId)
      if (typeof frame === 'string') attacker.socket.send(frame)
      else attacker.send(frame)
      return (await attacker.closed).code
    }),
  )
}

/** Deterministic garbage (a small LCG), so a failure names the frame that caused it. */
function garbageFrames(count: number, seed: number): Uint8Array[] {
  let state = seed >>> 0
  const next = (): number => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0)
  return Array.from({ length: count }, () => Uint8Array.from({ length: 1 + (next() % 40) }, () => next() & 0xff))
}

/** One binary message in `count` fragments: [0xff], empty continuations, then [0xff, 0xff]. */
function fragmentedMessage(count: number): Buffer {
  const chunks: Buffer[] = [wsFrame(0x2, Uint8Array.of(0xff), false)]
  const empty = wsFrame(0x0, new Uint8Array(0), false)
  for (let i = 0; i < count - 2; i++) chunks.push(empty)
  chunks.push(wsFrame(0x0, Uint8Array.of(0xff, 0xff), true))
  return Buffer.concat(chunks)
}

describe('hostile frames', () => {
  let relay: StartedRelay

  beforeAll(async () => {
    relay = await startRelay({ config: { limits: { maxFrameBytes: MAX_FRAME_BYTES } } })
  })

  afterAll(async () => {
    await relay.close()
    removeDir(relay.dataDir)
    log.write()
  })

  it('case 1: empty, text and garbage frames close only the sender (4400, or the code of what the garbage decodes to)', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 1,
      title: 'empty / text / garbage frames',
      docId: 'case-1',
      async attack() {
        expect(await closeCodes(relay, 'case-1', [[], 'hello', [0xff, 0xff, 0xff], [0x80, 0x80]])).toEqual([4400, 4400, 4400, 4400])
        const garbage = garbageFrames(60, 1234)
        const codes = await closeCodes(relay, 'case-1', garbage)
        const allowed: number[] = [CloseCode.MalformedFrame, CloseCode.UnknownMessageType, CloseCode.InvalidUpdate, CloseCode.InvalidAwareness]
        codes.forEach((code, i) => expect(allowed, `garbage frame [${garbage[i]!.join(',')}] closed with ${code}`).toContain(code))
        return `64 sockets closed: ${[...new Set(codes)].sort().join('/')} (4400 for empty/text)`
      },
    })
  })

  it('case 2: truncated varints and varints beyond 2^53 close with 4400', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 2,
      title: 'truncated / >2^53 varints',
      docId: 'case-2',
      async attack() {
        const frames = [
          [0x80], // message type: continuation bit, then nothing
          [0, 0x80, 0x80], // sync sub-type truncated
          [0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // length > 2^53
          [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 9-byte varint
          [1, 5, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // awareness client id > 2^53
        ]
        expect(await closeCodes(relay, 'case-2', frames)).toEqual(frames.map(() => CloseCode.MalformedFrame))
        return '5 sockets closed with 4400'
      },
    })
  })

  it('case 3: a length prefix beyond the frame closes with 4400', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 3,
      title: 'length prefix beyond the frame',
      docId: 'case-3',
      async attack() {
        const frames = [
          [0, 2, 50, 1, 2], // update of 50 bytes, 2 present
          [0, 0, 0xff, 0xff, 0x03, 1], // state vector of 65,535 bytes
          [1, 0x80, 0x80, 0x04, 0], // awareness of 65,536 bytes
          [2, 0, 10, 0x41], // auth reason of 10 bytes
        ]
        expect(await closeCodes(relay, 'case-3', frames)).toEqual(frames.map(() => CloseCode.MalformedFrame))
        return '4 sockets closed with 4400'
      },
    })
  })

  it('case 5: unknown and relay-only message types close with 4405', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 5,
      title: 'unknown / server-only message types',
      docId: 'case-5',
      async attack() {
        const frames = [
          [42], // unknown type
          [4, 0], // unknown type
          [0, 7, 0], // unknown sync sub-type
          [2, 0, 1, 0x78], // permission denied: relay → client only
          [2, 9, 0], // unknown auth sub-type
          [100, 1, 0], // saved state vector answer: relay → client only
          [0x80, 0x01], // 128: multi-byte type, unknown
        ]
        expect(await closeCodes(relay, 'case-5', frames)).toEqual(frames.map(() => CloseCode.UnknownMessageType))
        return '7 sockets closed with 4405'
      },
    })
  })

  it('case 8: a frame over MAX_FRAME_BYTES closes with 1009; fragments are reassembled and judged whole, 100,000 of them close with 1008', async () => {
    await runCase({
      log,
      relay,
      caseNumber: 8,
      title: 'frame over the size limit / 100k fragments',
      docId: 'case-8',
      async attack() {
        const big = new Y.Doc()
        big.getText('text').insert(0, 'x'.repeat(MAX_FRAME_BYTES))
        const [oversized] = await closeCodes(relay, 'case-8', [encodeSyncUpdate(Y.encodeStateAsUpdate(big))])
        expect(oversized).toBe(CloseCode.FrameTooBig)

        // A message in fragments is reassembled and judged whole: 1,000 fragments (the first
        // with a garbage type byte, 998 empty ones) are refused as one malformed frame.
        const fragmented = await rawUpgrade(relay.port, '/sync/case-8')
        fragmented.socket.write(fragmentedMessage(1_000))
        await waitFor(() => fragmented.closeCode() !== null, { timeoutMs: 15_000, message: 'the fragmented message to be refused' })
        expect(fragmented.closeCode()).toBe(CloseCode.MalformedFrame)
        fragmented.socket.destroy()

        // 100,000 fragments: cut off at MAX_MESSAGE_FRAGMENTS with 1008 before any is buffered further.
        const shredded = await rawUpgrade(relay.port, '/sync/case-8')
        shredded.socket.write(fragmentedMessage(100_000))
        await waitFor(() => shredded.closeCode() !== null, { timeoutMs: 15_000, message: 'the 100k fragments to be refused' })
        expect(shredded.closeCode()).toBe(CloseCode.PolicyViolation)
        shredded.socket.destroy()

        // Fragments adding up past maxPayload are cut off while they arrive.
        const flood = await rawUpgrade(relay.port, '/sync/case-8')
        const piece = wsFrame(0x0, new Uint8Array(1024), false)
        const pieces: Buffer[] = [wsFrame(0x2, new Uint8Array(1024), false)]
        for (let i = 0; i < 2 * (MAX_FRAME_BYTES / 1024); i++) pieces.push(piece)
        flood.socket.write(Buffer.concat(pieces))
        await waitFor(() => flood.closeCode() !== null, { timeoutMs: 15_000, message: 'the fragment flood to be cut off' })
        expect(flood.closeCode()).toBe(CloseCode.FrameTooBig)
        flood.socket.destroy()

        return 'frame > limit: 1009; 1,000 fragments: reassembled, 4400; 100k fragments: 1008; fragments past the limit: 1009'
      },
    })
  })
})
