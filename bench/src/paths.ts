import { fileURLToPath } from 'node:url'

/** The bench package directory (…/bench). */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))
/** The repository root. */
export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url))
/** Raw results (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench-results/', import.meta.url))
/** Derived workloads cached between runs (inside the git-ignored results directory). */
export const CACHE_DIR = fileURLToPath(new URL('../../bench-results/cache/', import.meta.url))
/** The committed report. */
export const BENCHMARKS_MD = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url))
/** Editing traces shared by the team (outside the repository). */
export const TRACES_DIR = process.env.BENCH_TRACES_DIR ?? fileURLToPath(new URL('../../../shared/traces/', import.meta.url))
/** tsx's loader, for `node --import` (resolved from this package, not the working directory). */
export const TSX_LOADER_URL = import.meta.resolve('tsx')
