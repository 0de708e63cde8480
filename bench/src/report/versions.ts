// Versions of everything measured, read from the installed packages (what actually ran).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR } from '../paths'

export function installedVersion(packageName: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', packageName, 'package.json'), 'utf8')) as { version?: string }
    return manifest.version ?? 'unknown'
  } catch {
    return 'not installed'
  }
}
