// Delivery latency from send times (writer) and arrival times (every receiving socket).
import { base64ToFloat64 } from '../util/binary'

export interface Deliveries {
  latenciesMs: Float64Array
  /** Updates a receiver never got within the wait. */
  missing: number
}

/**
 * For writer `w`: latency of every (update, receiver) pair, from `sendTimesB64` (the writer) and
 * `arrivalsB64[r][w]` (receiver r).
 */
export function deliveries(sendTimesB64: string, arrivalsB64: readonly (readonly string[])[], w: number): Deliveries {
  const sendTimes = base64ToFloat64(sendTimesB64)
  const latencies: number[] = []
  let missing = 0
  for (const perWriter of arrivalsB64) {
    const arrivals = base64ToFloat64(perWriter[w]!)
    for (let k = 0; k < sendTimes.length; k++) {
      const at = arrivals[k]
      if (at === undefined || Number.isNaN(at)) missing++
      else latencies.push(at - sendTimes[k]!)
    }
  }
  return { latenciesMs: Float64Array.from(latencies), missing }
}

export function concat(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((s, a) => s + a.length, 0))
  let at = 0
  for (const a of arrays) {
    out.set(a, at)
    at += a.length
  }
  return out
}
