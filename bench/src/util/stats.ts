/** Percentile (0–100) by nearest rank on a copy; NaN for an empty sample. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return sortedPercentile(sorted, p)
}

export function sortedPercentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50)
}

export interface LatencySummary {
  samples: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

export function summarizeLatencies(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort()
  return {
    samples: sorted.length,
    p50Ms: sortedPercentile(sorted, 50),
    p99Ms: sortedPercentile(sorted, 99),
    p999Ms: sortedPercentile(sorted, 99.9),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  }
}
