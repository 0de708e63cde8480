// Readers for /proc/<pid>: CPU time, resident memory and syscall I/O of a server process, read
// from outside so every server is measured the same way.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let clockTicksPerSecond: number | null = null

function ticksPerSecond(): number {
  if (clockTicksPerSecond === null) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicksPerSecond = 100
    }
  }
  return clockTicksPerSecond
}

/** User + system CPU seconds the process (all its threads) has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / ticksPerSecond()
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return match === null ? Number.NaN : Number(match[1])
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number {
  return statusKiB(pid, 'VmRSS') * 1024
}

/** Bytes passed to read()/write() syscalls so far (sockets included): the server's wire volume. */
export function ioBytes(pid: number): { readBytes: number; writtenBytes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  const read = /^rchar:\s+(\d+)/m.exec(io)
  const written = /^wchar:\s+(\d+)/m.exec(io)
  return { readBytes: Number(read?.[1] ?? Number.NaN), writtenBytes: Number(written?.[1] ?? Number.NaN) }
}

/** Samples RSS every `intervalMs` until stopped; returns the peak seen. */
export function sampleRssPeak(pid: number, intervalMs = 20): { stop(): number } {
  let peak = 0
  const sample = (): void => {
    try {
      peak = Math.max(peak, rssBytes(pid))
    } catch {
      // The process exited; the peak so far stands.
    }
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return peak
    },
  }
}
