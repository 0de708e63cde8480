// Other jobs on this shared machine: Linux pressure stall information (/proc/pressure/cpu) tells
// what share of wall time some runnable task waited for a CPU. The bench waits for a quiet moment
// before each server's run and records the pressure during it, so a disadvantaged run shows.
import { existsSync, readFileSync } from 'node:fs'
import { sleep } from './clock'

const PSI_CPU = '/proc/pressure/cpu'

/** Cumulative microseconds some task waited for a CPU, or null without PSI. */
export function cpuStallMicros(): number | null {
  if (!existsSync(PSI_CPU)) return null
  const match = /^some .*total=(\d+)/m.exec(readFileSync(PSI_CPU, 'utf8'))
  return match === null ? null : Number(match[1])
}

/** Share (0–1) of `windowMs` during which some task waited for a CPU; null without PSI. */
export async function cpuPressureOver(windowMs: number): Promise<number | null> {
  const before = cpuStallMicros()
  const startMs = performance.now()
  await sleep(windowMs)
  const after = cpuStallMicros()
  if (before === null || after === null) return null
  return (after - before) / 1000 / (performance.now() - startMs)
}

/**
 * Waits (at most `maxWaitMs`) until the CPU pressure over a short window is below `threshold`;
 * returns how long it waited and the last pressure seen.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number, windowMs = 500): Promise<{ waitedMs: number; pressure: number | null }> {
  const startMs = Date.now()
  for (;;) {
    const pressure = await cpuPressureOver(windowMs)
    if (pressure === null || pressure < threshold || Date.now() - startMs >= maxWaitMs) return { waitedMs: Date.now() - startMs, pressure }
  }
}
