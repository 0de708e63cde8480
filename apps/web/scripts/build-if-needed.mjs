#!/usr/bin/env node
// Rebuilds apps/web/dist when it is missing or older than any source that goes into it;
// otherwise prints nothing and exits 0. Used by the root `pnpm start`.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const webDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const repoDir = join(webDir, '..', '..')
const builtMarker = join(webDir, 'dist', 'index.html')

const inputs = [
  join(webDir, 'src'),
  join(webDir, 'build'),
  join(webDir, 'index.html'),
  join(webDir, 'vite.config.ts'),
  join(webDir, 'package.json'),
  join(repoDir, 'packages', 'editor', 'src'),
  join(repoDir, 'packages', 'sync-client', 'src'),
  join(repoDir, 'packages', 'yjs-binding', 'src'),
  join(repoDir, 'packages', 'protocol', 'src'),
]

/** Newest modification time (ms) of a file or of any file below a directory; 0 when absent. */
function newestMtimeMs(path) {
  let stats
  try {
    stats = statSync(path)
  } catch {
    return 0
  }
  if (!stats.isDirectory()) return stats.mtimeMs
  let newest = 0
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue
    newest = Math.max(newest, newestMtimeMs(join(path, entry)))
  }
  return newest
}

function builtAtMs() {
  try {
    return statSync(builtMarker).mtimeMs
  } catch {
    return null
  }
}

const builtMs = builtAtMs()
const sourcesMs = Math.max(...inputs.map(newestMtimeMs))
if (builtMs !== null && builtMs >= sourcesMs) process.exit(0)

const viteBin = join(webDir, 'node_modules', 'vite', 'bin', 'vite.js')
const result = spawnSync(process.execPath, [viteBin, 'build'], { cwd: webDir, stdio: 'inherit' })
process.exit(result.status ?? 1)
