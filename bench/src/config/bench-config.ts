// What to run, from the environment: BENCH_SCENARIOS=1,3 (default all), BENCH_SIZE=small|default|large,
// BENCH_SERVERS=ours,hocuspocus (default all), BENCH_PROFILE=1|all (V8 CPU profiles of our relay or of
// every server).
import { SERVER_IDS, type ServerId } from '../servers/server-spec'

export const SIZES = ['small', 'default', 'large'] as const
export type SizeName = (typeof SIZES)[number]
export const SCENARIO_IDS = [1, 2, 3, 4, 5, 6, 7] as const
export type ScenarioId = (typeof SCENARIO_IDS)[number]

export interface BenchConfig {
  scenarios: ScenarioId[]
  size: SizeName
  servers: ServerId[]
  /** Write `node --cpu-prof` profiles to bench-results/profiles: of our relay (`ours`) or every server (`all`). */
  profile: 'off' | 'ours' | 'all'
  /** Load worker processes (all on the load core). */
  workers: number
  /** Before each server's run, wait up to this long for CPU pressure below `quietThreshold`. */
  quietMaxWaitMs: number
  quietThreshold: number
  /** Rounds of the interleaved scenarios (1, 2, 4), overriding the size's default. */
  rounds: number | null
}

/** An environment variable has a value the bench cannot use. */
export class BenchConfigError extends Error {
  override readonly name = 'BenchConfigError'
  constructor(variable: string, value: string, expected: string) {
    super(`Invalid ${variable}=${JSON.stringify(value)}: expected ${expected}`)
  }
}

function list<T extends string | number>(variable: string, raw: string | undefined, allowed: readonly T[], parse: (s: string) => T): T[] {
  if (raw === undefined || raw.trim() === '') return [...allowed]
  const values = raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map(parse)
  for (const value of values) {
    if (!allowed.includes(value)) throw new BenchConfigError(variable, raw, `a comma-separated list of ${allowed.join(', ')}`)
  }
  return allowed.filter((a) => values.includes(a))
}

function number(variable: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || value > max) throw new BenchConfigError(variable, raw, `a number from ${min} to ${max}`)
  return value
}

export function loadBenchConfig(env: Readonly<Record<string, string | undefined>> = process.env): BenchConfig {
  const size = (env.BENCH_SIZE ?? 'default').trim() as SizeName
  if (!SIZES.includes(size)) throw new BenchConfigError('BENCH_SIZE', env.BENCH_SIZE ?? '', SIZES.join(' | '))
  const workers = Number(env.BENCH_WORKERS ?? '3')
  if (!Number.isInteger(workers) || workers < 2 || workers > 16) throw new BenchConfigError('BENCH_WORKERS', env.BENCH_WORKERS ?? '', 'an integer from 2 to 16')
  return {
    scenarios: list('BENCH_SCENARIOS', env.BENCH_SCENARIOS, SCENARIO_IDS, Number) as ScenarioId[],
    size,
    servers: list('BENCH_SERVERS', env.BENCH_SERVERS, SERVER_IDS, (s) => s as ServerId),
    profile: env.BENCH_PROFILE === 'all' ? 'all' : env.BENCH_PROFILE === '1' || env.BENCH_PROFILE === 'ours' ? 'ours' : 'off',
    workers,
    // On a machine that stays busy the wait buys nothing; 3 s catches the short lulls.
    quietMaxWaitMs: 1000 * number('BENCH_QUIET_MAX_WAIT_S', env.BENCH_QUIET_MAX_WAIT_S, 3, 0, 600),
    quietThreshold: number('BENCH_QUIET_THRESHOLD', env.BENCH_QUIET_THRESHOLD, 0.25, 0, 1),
    rounds: env.BENCH_ROUNDS === undefined || env.BENCH_ROUNDS.trim() === '' ? null : number('BENCH_ROUNDS', env.BENCH_ROUNDS, 1, 1, 20),
  }
}
