// Loaded into every server process with --import (all servers alike): answers the runner over the
// IPC channel with a forced GC + memory usage and event-loop delay figures. It adds one 10 ms
// event-loop-delay timer and nothing on any request path.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'

/** What the runner may ask a server process (`heap-snapshot` writes one to `path` after a GC). */
export type ProbeRequest = { probeId: number; command: 'gc' | 'lag-reset' | 'lag' | 'memory' | 'heap-snapshot' | 'exit-if-unhandled'; path?: string }

export interface ProbeReply {
  probeId: number
  rssBytes: number
  heapUsedBytes: number
  externalBytes: number
  arrayBuffersBytes: number
  /** V8's young generation (new space + new large objects), committed memory: empty after a GC, but still in RSS. */
  youngGenerationBytes: number
  lagP50Ms: number
  lagP99Ms: number
  lagMaxMs: number
  /**
   * User + system CPU seconds of the whole process (every thread, exited ones included) when it
   * answered, to the microsecond: /proc's utime and stime come in 10 ms clock ticks.
   */
  cpuSeconds: number
}

const RESOLUTION_MS = 10
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
histogram.enable()

/** The histogram records whole timer intervals; the delay is what exceeds the resolution. */
function delayMs(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS)
}

function isProbeRequest(message: unknown): message is ProbeRequest {
  return typeof message === 'object' && message !== null && 'probeId' in message && 'command' in message
}

if (process.send !== undefined) {
  process.on('message', (message: unknown) => {
    if (!isProbeRequest(message)) return
    const gc = (globalThis as { gc?: () => void }).gc
    if ((message.command === 'gc' || message.command === 'heap-snapshot') && gc !== undefined) {
      gc()
      gc()
    }
    if (message.command === 'heap-snapshot' && message.path !== undefined) writeHeapSnapshot(message.path)
    // A server without a SIGTERM handler dies on the signal before `--cpu-prof` writes its profile.
    if (message.command === 'exit-if-unhandled' && process.listenerCount('SIGTERM') === 0) process.exit(0)
    if (message.command === 'lag-reset') histogram.reset()
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    const reply: ProbeReply = {
      probeId: message.probeId,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
      youngGenerationBytes: getHeapSpaceStatistics()
        .filter(({ space_name }) => space_name === 'new_space' || space_name === 'new_large_object_space')
        .reduce((sum, space) => sum + space.physical_space_size, 0),
      lagP50Ms: delayMs(histogram.percentile(50)),
      lagP99Ms: delayMs(histogram.percentile(99)),
      lagMaxMs: delayMs(histogram.max),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    }
    process.send?.(reply)
  })
  // The channel must not keep a server alive that would otherwise exit.
  process.channel?.unref()
}
