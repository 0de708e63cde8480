// What the crash test's child process writes, shared with the test that checks it.
import { patternBytes } from './contract-helpers'

export const CRASH_DOC_ID = 'crash'
export const CRASH_BATCH = 50
export const CRASH_UPDATE_BYTES = 64

/** The update stored at `seq` (1-based), so the parent can check every byte. */
export function crashUpdate(seq: number): Uint8Array {
  return patternBytes(CRASH_UPDATE_BYTES, seq)
}
