// What a chaos run is asked to do, from the environment. Every knob has a CI-sized default.
import { parseSeed, randomSeed } from './prng'

/** Thrown for an environment variable the suite cannot use. */
export class InvalidChaosSettingError extends Error {
  override readonly name = 'InvalidChaosSettingError'
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}=${JSON.stringify(value)} is not ${expected}`)
  }
}

/** Which pinned regression seeds to add: one (picked by the random seed), all, or none. */
export type PinnedMode = 'one' | 'all' | 'none'

export interface ChaosSettings {
  /** Seeds to run, one test each (pinned seeds not included). */
  seeds: number[]
  pinned: PinnedMode
  pages: number
  actionsPerPage: number
  faults: number
}

/** The environment; the drawn default seed is remembered in it (`CHAOS_RUN_SEED`). */
type Env = Record<string, string | undefined>

const DEFAULTS = { pages: 4, actionsPerPage: 50, faults: 5 } as const

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== ''
}

function intSetting(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable]
  if (!isSet(raw)) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidChaosSettingError(variable, raw, `an integer from ${min} to ${max}`)
  }
  return value
}

/**
 * `SEED=n` reproduces one run; `CHAOS_SEEDS=5` runs five random seeds; `CHAOS_SEEDS=1,2,3` runs
 * those. By default one random seed, drawn once per `playwright test` invocation: the runner
 * process draws it and its workers inherit it through `CHAOS_RUN_SEED`, so every process lists
 * the same test titles.
 */
function seedsFrom(env: Env): number[] {
  if (isSet(env.SEED)) return [parseSeed(env.SEED)]
  const many = env.CHAOS_SEEDS?.trim()
  if (many !== undefined && many.includes(',')) return many.split(',').filter((part) => part.trim() !== '').map(parseSeed)
  const count = intSetting(env, 'CHAOS_SEEDS', 1, 1, 1_000)
  env.CHAOS_RUN_SEED ??= Array.from({ length: count }, () => randomSeed()).join(',')
  return env.CHAOS_RUN_SEED.split(',').map(parseSeed)
}

function pinnedFrom(env: Env): PinnedMode {
  // Reproducing one seed runs exactly that seed.
  if (isSet(env.SEED)) return 'none'
  const raw = env.CHAOS_PINNED?.trim() ?? ''
  if (raw === '') return 'one'
  if (raw === '1') return 'all'
  if (raw === '0') return 'none'
  throw new InvalidChaosSettingError('CHAOS_PINNED', raw, '1 (all pinned seeds) or 0 (none)')
}

/** Reads the settings. */
export function readChaosSettings(env: Env = process.env): ChaosSettings {
  return {
    seeds: seedsFrom(env),
    pinned: pinnedFrom(env),
    pages: intSetting(env, 'CHAOS_PAGES', DEFAULTS.pages, 2, 12),
    actionsPerPage: intSetting(env, 'CHAOS_ACTIONS', DEFAULTS.actionsPerPage, 5, 5_000),
    faults: intSetting(env, 'CHAOS_FAULTS', DEFAULTS.faults, 0, 200),
  }
}

/** The command that reruns `seed` with these settings (defaults left out). */
export function reproduceCommand(seed: number, settings: ChaosSettings, baseUrl: string | null): string {
  const overrides = [
    settings.pages !== DEFAULTS.pages ? `CHAOS_PAGES=${settings.pages}` : '',
    settings.actionsPerPage !== DEFAULTS.actionsPerPage ? `CHAOS_ACTIONS=${settings.actionsPerPage}` : '',
    settings.faults !== DEFAULTS.faults ? `CHAOS_FAULTS=${settings.faults}` : '',
    baseUrl !== null ? `E2E_BASE_URL=${baseUrl}` : '',
  ].filter(Boolean)
  return [`SEED=${seed}`, ...overrides, 'pnpm --filter @collab/e2e exec playwright test specs/chaos.spec.ts'].join(' ')
}
