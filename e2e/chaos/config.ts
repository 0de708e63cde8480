// What a chaos run is asked to do, from the environment. Every knob has a CI-sized default.
import { LOSS_CAUSES, type LossCause } from './ledger'
import { parseSeed, randomSeed } from './prng'

/** Thrown for an environment variable the suite cannot use. */
export class InvalidChaosSettingError extends Error {
  override readonly name = 'InvalidChaosSettingError'
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}=${JSON.stringify(value)} is not ${expected}`)
  }
}

export interface ChaosSettings {
  /** Seeds to run, one test each. */
  seeds: number[]
  pages: number
  actionsPerPage: number
  faults: number
  /** Fail on duplicates attributed to concurrent paragraph splits too. */
  strict: boolean
  /**
   * Loss causes reported but not failed on (CHAOS_KNOWN_LOSSES): a stopgap for CI while an
   * upstream bug is open, never a way to claim "no loss". Empty by default.
   */
  knownLosses: LossCause[]
}

type Env = Readonly<Record<string, string | undefined>>

function intSetting(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidChaosSettingError(variable, raw, `an integer from ${min} to ${max}`)
  }
  return value
}

/**
 * Seeds: `SEED=n` reproduces one run; `CHAOS_SEEDS=5` runs five random seeds; `CHAOS_SEEDS=1,2,3`
 * runs those. By default one random seed, drawn once per `playwright test` invocation: the
 * runner process draws it and its workers inherit it through `CHAOS_RUN_SEED`, so every process
 * lists the same test titles.
 */
function seedsFrom(env: Env, mutableEnv: Record<string, string | undefined>): number[] {
  const single = env.SEED
  if (single !== undefined && single.trim() !== '') return [parseSeed(single)]
  const many = env.CHAOS_SEEDS?.trim()
  if (many !== undefined && many.includes(',')) return many.split(',').filter((part) => part.trim() !== '').map(parseSeed)
  const count = intSetting(env, 'CHAOS_SEEDS', 1, 1, 1_000)
  mutableEnv.CHAOS_RUN_SEED ??= Array.from({ length: count }, () => randomSeed()).join(',')
  return (mutableEnv.CHAOS_RUN_SEED ?? '').split(',').map(parseSeed)
}

function knownLossesFrom(env: Env): LossCause[] {
  const raw = env.CHAOS_KNOWN_LOSSES?.trim() ?? ''
  if (raw === '') return []
  return raw.split(',').map((part) => {
    const cause = part.trim() as LossCause
    if (!LOSS_CAUSES.includes(cause)) throw new InvalidChaosSettingError('CHAOS_KNOWN_LOSSES', raw, `a comma list of ${LOSS_CAUSES.join(', ')}`)
    return cause
  })
}

/** Reads the settings; `process.env` is also where the drawn default seed is remembered. */
export function readChaosSettings(env: Record<string, string | undefined> = process.env): ChaosSettings {
  return {
    seeds: seedsFrom(env, env),
    pages: intSetting(env, 'CHAOS_PAGES', 4, 2, 12),
    actionsPerPage: intSetting(env, 'CHAOS_ACTIONS', 50, 5, 5_000),
    faults: intSetting(env, 'CHAOS_FAULTS', 5, 0, 200),
    strict: env.CHAOS_STRICT === '1',
    knownLosses: knownLossesFrom(env),
  }
}
