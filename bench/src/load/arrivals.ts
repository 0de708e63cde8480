// Which of a writer's updates a socket holds, and since when: fed every received update, it meters
// it and stamps every newly complete prefix update with the receive time.
import { meterUpdate, type ClientProgress } from '../wire/update-meter'
import { readMeteredWorkload, type MeteredWorkload } from '../traces/workload'

const workloads = new Map<string, MeteredWorkload>()

/** Metered workloads are loaded once per worker process and shared by its sessions. */
export function meteredWorkload(path: string): MeteredWorkload {
  let workload = workloads.get(path)
  if (workload === undefined) {
    workload = readMeteredWorkload(path)
    workloads.set(path, workload)
  }
  return workload
}

export class ArrivalRecorder {
  /** Per writer: receive time of update k, NaN until it arrived. */
  readonly arrivals: Float64Array[]
  /** Per writer: how many of its updates (a prefix) this socket holds. */
  readonly delivered: number[]
  private readonly progress = new Map<number, ClientProgress>()
  private readonly track: Set<number>

  constructor(private readonly writers: readonly MeteredWorkload[]) {
    this.arrivals = writers.map((w) => new Float64Array(w.updates.length).fill(Number.NaN))
    this.delivered = writers.map(() => 0)
    this.track = new Set(writers.map((w) => w.header.clientId))
  }

  readonly onUpdate = (update: Uint8Array, atMs: number): void => {
    if (this.writers.length === 0) return
    meterUpdate(update, this.progress, this.track)
    this.writers.forEach((writer, w) => {
      const seen = this.progress.get(writer.header.clientId)
      if (seen === undefined) return
      const arrivals = this.arrivals[w]!
      let k = this.delivered[w]!
      while (k < arrivals.length && writer.endClocks[k]! <= seen.endClock && writer.deleted[k]! <= seen.deleted) {
        arrivals[k] = atMs
        k++
      }
      this.delivered[w] = k
    })
  }
}
