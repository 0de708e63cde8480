// Receivers: sockets that only listen, metering which writer updates they hold and when.
import { float64ToBase64 } from '../../util/binary'
import { sleep } from '../../util/clock'
import { DIALECTS } from '../../wire/dialect'
import { LightClient } from '../../wire/light-client'
import { ArrivalRecorder, meteredWorkload } from '../arrivals'
import { connectMany } from '../connect-many'
import type { DeliveredCounts, SessionKinds, WorkerSession } from '../session-types'

export async function receiversSession(spec: SessionKinds['receivers']['spec']): Promise<WorkerSession<'receivers'>> {
  const writers = spec.workloadPaths.map(meteredWorkload)
  const recorders = Array.from({ length: spec.count }, () => new ArrivalRecorder(writers))
  const clients = recorders.map(
    (recorder) => new LightClient({ baseUrl: spec.baseUrl, docId: spec.docId, dialect: DIALECTS[spec.dialect], onUpdate: recorder.onUpdate }),
  )
  const connected = await connectMany(clients, 50)
  if (connected.failures > 0) throw new Error(`${connected.failures} of ${spec.count} receivers failed to connect and sync: ${connected.firstError}`)

  const counts = (): DeliveredCounts[] =>
    writers.map((_, w) => ({
      min: Math.min(...recorders.map((r) => r.delivered[w]!)),
      sum: recorders.reduce((sum, r) => sum + r.delivered[w]!, 0),
    }))

  return {
    ready: { count: clients.length },
    commands: {
      delivered: async () => ({ perWriter: counts() }),
      waitDelivered: async ({ targets, timeoutMs }) => {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const perWriter = counts()
          const complete = perWriter.every((c, w) => c.min >= (targets[w] ?? 0))
          if (complete || Date.now() > deadline) return { complete, perWriter }
          await sleep(20)
        }
      },
      deliveredBetween: async ({ fromMs, toMs }) => ({
        perWriter: writers.map((_, w) => {
          let count = 0
          let lastArrivalMs = 0
          for (const r of recorders) {
            const arrivals = r.arrivals[w]!
            for (let k = 0; k < r.delivered[w]!; k++) {
              const at = arrivals[k]!
              if (at >= fromMs && at <= toMs) count++
              if (at > lastArrivalMs) lastArrivalMs = at
            }
          }
          return { count, lastArrivalMs }
        }),
      }),
      arrivals: async ({ upTo }) => ({
        arrivalsB64: recorders.map((r) => r.arrivals.map((a, w) => float64ToBase64(a.slice(0, upTo[w] ?? a.length)))),
      }),
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()))
    },
  }
}
