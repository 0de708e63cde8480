// A writer: one socket sending a precomputed update sequence on a schedule (typing), closed loop
// (as fast as a tracker socket confirms) or open loop (fixed rate). Its socket also meters the
// updates of other writers (two typists read each other).
import { encodeSyncUpdate } from '@collab/protocol'
import { float64ToBase64 } from '../../util/binary'
import { nowMs, sleep } from '../../util/clock'
import { DIALECTS } from '../../wire/dialect'
import { LightClient } from '../../wire/light-client'
import { ArrivalRecorder, meteredWorkload } from '../arrivals'
import type { SendTimes, WorkerSession, WriterSpec } from '../session-types'

export async function writerSession(spec: WriterSpec): Promise<WorkerSession<'writer'>> {
  const dialect = DIALECTS[spec.dialect]
  const own = meteredWorkload(spec.workloadPath)
  const recorder = new ArrivalRecorder(spec.meteredWorkloadPaths.map(meteredWorkload))
  const client = new LightClient({ baseUrl: spec.baseUrl, docId: spec.docId, dialect, onUpdate: recorder.onUpdate })
  let pump: (() => void) | null = null
  const trackerRecorder = new ArrivalRecorder([own])
  const tracker = spec.tracker
    ? new LightClient({
        baseUrl: spec.baseUrl,
        docId: spec.docId,
        dialect,
        onUpdate: (update, atMs) => {
          trackerRecorder.onUpdate(update, atMs)
          pump?.()
        },
      })
    : null
  await client.open()
  await client.synced
  if (tracker !== null) {
    await tracker.open()
    await tracker.synced
  }

  let next = 0
  const sendNext = (): void => {
    client.send(encodeSyncUpdate(own.updates[next]!))
    next++
  }
  const sendTimesOf = (times: Float64Array, from: number, startMs: number): SendTimes => ({
    sent: next - from,
    sendTimesB64: float64ToBase64(times.slice(0, next - from)),
    startMs,
    endMs: nowMs(),
  })

  /** Waits (up to 60 s) until the tracker holds everything sent, then its arrival times. */
  const trackerArrivals = async (from: number): Promise<string> => {
    if (tracker === null) return ''
    const deadline = nowMs() + 60_000
    while (trackerRecorder.delivered[0]! < next && nowMs() < deadline) await sleep(10)
    return float64ToBase64(trackerRecorder.arrivals[0]!.slice(from, next))
  }

  return {
    ready: { syncedAtMs: client.syncedAtMs },
    commands: {
      schedule: ({ startAtMs, offsetsMs }) => {
        const from = next
        const count = Math.min(offsetsMs.length, own.updates.length - from)
        const times = new Float64Array(count)
        return new Promise((resolve) => {
          const tick = (): void => {
            while (next - from < count && startAtMs + offsetsMs[next - from]! <= nowMs()) {
              times[next - from] = nowMs()
              sendNext()
            }
            if (next - from >= count) resolve(sendTimesOf(times, from, startAtMs))
            else setTimeout(tick, Math.max(0, startAtMs + offsetsMs[next - from]! - nowMs()))
          }
          tick()
        })
      },
      closedLoop: async ({ durationMs, window }) => {
        if (tracker === null) throw new Error('closedLoop needs a writer started with tracker: true')
        const from = next
        const times = new Float64Array(own.updates.length - from)
        const startMs = nowMs()
        const endAtMs = startMs + durationMs
        pump = () => {
          const now = nowMs()
          while (next < own.updates.length && now < endAtMs && next - trackerRecorder.delivered[0]! < window) {
            times[next - from] = nowMs()
            sendNext()
          }
        }
        const stall = setInterval(() => pump?.(), 5)
        pump()
        while (nowMs() < endAtMs) await sleep(20)
        clearInterval(stall)
        pump = null
        return { ...sendTimesOf(times, from, startMs), trackerArrivalsB64: await trackerArrivals(from) }
      },
      openLoop: async ({ ratePerS, durationMs }) => {
        const from = next
        const count = Math.min(Math.floor((ratePerS * durationMs) / 1000), own.updates.length - from)
        const times = new Float64Array(count)
        const startMs = nowMs() + 5
        const intervalMs = 1000 / ratePerS
        await new Promise<void>((resolve) => {
          const tick = (): void => {
            const now = nowMs()
            while (next - from < count && startMs + (next - from) * intervalMs <= now) {
              // The scheduled time, not the actual one: a late send counts as latency.
              times[next - from] = startMs + (next - from) * intervalMs
              sendNext()
            }
            if (next - from >= count) resolve()
            else setTimeout(tick, 1)
          }
          setTimeout(tick, 5)
        })
        return { ...sendTimesOf(times, from, startMs), trackerArrivalsB64: await trackerArrivals(from) }
      },
      waitDelivered: async ({ targets, timeoutMs }) => {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const complete = recorder.delivered.every((d, w) => d >= (targets[w] ?? 0))
          if (complete || Date.now() > deadline) return { complete, perWriter: recorder.delivered.map((d) => ({ min: d, sum: d })) }
          await sleep(20)
        }
      },
      arrivals: async ({ upTo }) => ({
        arrivalsB64: [recorder.arrivals.map((a, w) => float64ToBase64(a.slice(0, upTo[w] ?? a.length)))],
      }),
    },
    close: async () => {
      await Promise.all([client.close(), tracker?.close()])
    },
  }
}
