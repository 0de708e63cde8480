// Which process holds a listening TCP port, read from Linux /proc. A relay restarted on its old
// port must prove that *it* is the one answering there: while it was down, another process on
// this busy machine (another test's relay or fault proxy, which bind port 0) may have taken the
// port, and then its /readyz says 200 while our relay dies with EADDRINUSE.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

const LISTEN_STATE = '0A'
const PROC_TCP_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'] as const

/** Socket inodes in LISTEN state on `port` (any address); null when /proc cannot be read. */
function listeningInodes(port: number): Set<string> | null {
  const inodes = new Set<string>()
  let readAny = false
  for (const table of PROC_TCP_TABLES) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue // no IPv6 in this kernel, or not Linux
    }
    readAny = true
    // Columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      const inode = fields[9]
      if (local === undefined || inode === undefined || fields[3] !== LISTEN_STATE) continue
      const hexPort = local.slice(local.lastIndexOf(':') + 1)
      if (Number.parseInt(hexPort, 16) === port) inodes.add(inode)
    }
  }
  return readAny ? inodes : null
}

/**
 * Whether process `pid` holds a listening socket on TCP `port`. Null where this cannot be told
 * (no /proc: not Linux), so callers fall back to trusting the port.
 */
export function processListensOn(pid: number, port: number): boolean | null {
  const inodes = listeningInodes(port)
  if (inodes === null) return null
  if (inodes.size === 0) return false
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return false // exited meanwhile
  }
  for (const fd of fds) {
    let target: string
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`)
    } catch {
      continue // closed while we looked
    }
    const match = /^socket:\[(\d+)\]$/.exec(target)
    if (match !== null && inodes.has(match[1]!)) return true
  }
  return false
}
