const relativeTime = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

const STEPS: readonly [limitSeconds: number, unit: Intl.RelativeTimeFormatUnit, unitSeconds: number][] = [
  [60, 'second', 1],
  [3600, 'minute', 60],
  [86400, 'hour', 3600],
  [604800, 'day', 86400],
  [2629800, 'week', 604800],
  [31557600, 'month', 2629800],
  [Infinity, 'year', 31557600],
]

/** "3 minutes ago", "yesterday"… */
export function formatRelativeTime(atMs: number, nowMs: number = Date.now()): string {
  const deltaSeconds = (atMs - nowMs) / 1000
  const magnitude = Math.abs(deltaSeconds)
  if (magnitude < 45) return 'just now'
  for (const [limitSeconds, unit, unitSeconds] of STEPS) {
    if (magnitude < limitSeconds) return relativeTime.format(Math.round(deltaSeconds / unitSeconds), unit)
  }
  return ''
}

/** "1.2 kB" style sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}
