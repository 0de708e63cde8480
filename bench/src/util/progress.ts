/** Progress lines on stderr: the bench is a CLI, and the final tables go to BENCHMARKS.md. */
const startedAtMs = Date.now()

export function progress(message: string): void {
  const elapsedS = ((Date.now() - startedAtMs) / 1000).toFixed(1).padStart(6)
  process.stderr.write(`[bench ${elapsedS}s] ${message}\n`)
}
