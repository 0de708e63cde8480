// The node flags the relay ships with: whatever its `pnpm start` script puts between `node` and
// `dist/server.js`. The bench runs our relay with exactly those, so it measures what users run.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_DIR } from '../paths'

export class StartScriptError extends Error {
  override readonly name = 'StartScriptError'
  constructor(readonly script: string) {
    super(`apps/relay's start script does not end in "[exec] node [--flag ...] dist/server.js": ${JSON.stringify(script)}`)
  }
}

/** `tsx scripts/build.ts && exec node --a=1 --b dist/server.js` → ['--a=1', '--b'] (`exec` optional). */
export function nodeFlagsOf(startScript: string): string[] {
  const match = /(?:^|&&)\s*(?:exec\s+)?node((?:\s+--\S+)*)\s+dist\/server\.js\s*$/.exec(startScript)
  if (match === null) throw new StartScriptError(startScript)
  return match[1]!.split(/\s+/).filter((flag) => flag !== '')
}

export function shippedRelayNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_DIR, 'apps/relay/package.json'), 'utf8')) as { scripts?: { start?: string } }
  return nodeFlagsOf(manifest.scripts?.start ?? '')
}
