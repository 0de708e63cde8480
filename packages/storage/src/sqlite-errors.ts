// Turns better-sqlite3 and file-system failures into our typed errors, so the relay can tell
// "stop accepting writes" (StorageUnavailableError) from a bug (StorageError).
import { InvalidDocIdError } from '@collab/protocol'
import { StorageError, StorageUnavailableError } from './errors'

/**
 * SQLite primary result codes after which the store cannot take writes right now. Extended codes
 * (`SQLITE_IOERR_WRITE`, `SQLITE_READONLY_DBMOVED`, …) share their primary code's prefix.
 * BUSY/LOCKED only surface after `busy_timeout` expired: another process holds the database.
 */
const UNAVAILABLE_SQLITE_CODES = [
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_PERM',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_NOLFS',
  'SQLITE_PROTOCOL',
] as const

/** Node file-system codes (from creating the data directory) that mean the same. */
const UNAVAILABLE_FS_CODES = ['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EEXIST', 'EISDIR', 'EIO', 'EDQUOT']

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  const code = (error as { code: unknown }).code
  return typeof code === 'string' ? code : undefined
}

function isUnavailableCode(code: string): boolean {
  if (code.startsWith('SQLITE_')) {
    return UNAVAILABLE_SQLITE_CODES.some((prefix) => code === prefix || code.startsWith(prefix + '_'))
  }
  return UNAVAILABLE_FS_CODES.includes(code)
}

export interface FailureContext {
  /** What was being done, as a verb phrase: `append to`, `open`. */
  operation: string
  docId?: string
  path: string
}

/** Maps any error thrown by SQLite or the file system; our own typed errors pass through. */
export function mapStorageFailure(error: unknown, context: FailureContext): Error {
  if (error instanceof StorageError || error instanceof InvalidDocIdError) return error
  const code = errorCode(error)
  const detail = error instanceof Error ? error.message : String(error)
  const target = context.docId === undefined ? context.path : `document ${JSON.stringify(context.docId)} in ${context.path}`
  const message = `Cannot ${context.operation} ${target}: ${detail}${code === undefined ? '' : ` (${code})`}`
  if (code !== undefined && isUnavailableCode(code)) {
    return new StorageUnavailableError(message, code, { cause: error })
  }
  return new StorageError(message, { cause: error })
}
