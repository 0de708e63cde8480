// The machine, software and load a run happened under (numbers mean little without them).
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { REPO_DIR } from '../paths'
import { pinningAvailable } from '../servers/affinity'
import { shippedRelayNodeFlags } from '../servers/shipped-node-flags'
import { installedVersion } from './versions'

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  kernel: string
  node: string
  pinned: boolean
  /** 1-minute load average when the run started and ended (other jobs share this machine). */
  loadAverageStart: number
  loadAverageEnd: number | null
  commit: string
  versions: Record<string, string>
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unknown'
  }
}

export function machineInfo(): MachineInfo {
  const dirty = git(['status', '--porcelain', '--', 'apps/relay', 'packages']) !== ''
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    pinned: pinningAvailable(),
    loadAverageStart: loadavg()[0]!,
    loadAverageEnd: null,
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted relay/packages changes' : ''}`,
    versions: {
      yjs: installedVersion('yjs'),
      'y-protocols': installedVersion('y-protocols'),
      ws: installedVersion('ws'),
      'y-websocket (reference server)': installedVersion('y-websocket-v1'),
      '@hocuspocus/server': installedVersion('@hocuspocus/server'),
      'our relay\'s node flags': shippedRelayNodeFlags().join(' ') || 'none',
    },
  }
}
