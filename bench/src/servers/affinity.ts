// CPU pinning: the server under test gets core 0, the load (workers, runner, browsers) core 1, so
// the load generators never steal the server's core. Without taskset or with one core, nothing is
// pinned and the report says so.
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus } from 'node:os'

export const SERVER_CPU = 0
export const LOAD_CPU = 1

let available: boolean | null = null

/** True when `taskset` exists and there are at least two cores to split. */
export function pinningAvailable(): boolean {
  if (available === null) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
      available = availableParallelism() >= 2
    } catch {
      available = false
    }
  }
  return available
}

/** The command line to start `command args` pinned to `cpu` (unchanged when pinning is unavailable). */
export function pinnedCommand(cpu: number, command: string, args: string[]): { command: string; args: string[] } {
  if (!pinningAvailable()) return { command, args }
  return { command: 'taskset', args: ['-c', String(cpu), command, ...args] }
}

/** Pins an already running process and all its threads to `cpu` (a core or a list like `0-1`). */
export function pinProcess(pid: number, cpu: number | string): void {
  if (!pinningAvailable()) return
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' })
}

/**
 * Every online core, as a taskset list. Not `availableParallelism()`: that counts the cores this
 * process may run on, and once the bench has pinned itself to the load core it reads 1, so
 * "0-0" put the browser, its GPU process and all five renderers of scenario 7 on the server's core
 * alone (local keystroke → paint measured ~45 ms p50 instead of ~20).
 */
export function everyCore(): string {
  return `0-${Math.max(1, cpus().length) - 1}`
}

/**
 * Runs `start` with this process allowed on every core, so the processes it spawns (a browser,
 * its zygote, hence every renderer) inherit that; then pins this process back to the load core.
 */
export async function spawnUnpinned<T>(start: () => Promise<T>): Promise<T> {
  if (!pinningAvailable()) return start()
  pinProcess(process.pid, everyCore())
  try {
    return await start()
  } finally {
    pinProcess(process.pid, LOAD_CPU)
  }
}
