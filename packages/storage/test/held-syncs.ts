// A `syncFile` (see src/wal-sync.ts) whose fsyncs finish only when a test says so.

export interface HeldSync {
  path: string
  finish(error?: Error): void
}

export function heldSyncs(): { calls: HeldSync[]; syncFile: (path: string) => Promise<void> } {
  const calls: HeldSync[] = []
  const syncFile = (path: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ path, finish: (error) => (error === undefined ? resolve() : reject(error)) })
    })
  return { calls, syncFile }
}
