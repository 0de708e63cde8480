// Turns node-postgres failures into our typed errors, so the relay can tell "the database is
// unreachable or refusing writes, retry later" (StorageUnavailableError) from a bug (StorageError).
import { InvalidDocIdError } from '@collab/protocol'
import { StorageError, StorageUnavailableError } from './errors'

/**
 * SQLSTATE classes (first two characters) after which the store cannot take writes right now;
 * nothing from the failed statement or transaction was committed.
 * 08 connection exception, 28 bad credentials, 53 insufficient resources (53100 disk full,
 * 53300 too many connections), 57 operator intervention (57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 starting up, 57014 statement timeout), 58 system/I-O error, XX internal error
 * or data corruption.
 */
const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '28', '53', '57', '58', 'XX']

/**
 * Single SQLSTATEs with the same meaning: 25006 read-only transaction (a standby, or
 * default_transaction_read_only), 3D000 the database does not exist, 40001/40P01
 * serialization failure/deadlock (transient, rolled back), 42501 missing privilege,
 * 55P03 lock timeout.
 */
const UNAVAILABLE_SQLSTATES = ['25006', '3D000', '40001', '40P01', '42501', '55P03']

/** Socket and DNS failures while connecting or talking to the server. */
const UNAVAILABLE_NODE_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
  'EACCES',
]

/**
 * node-postgres reports a connection that ended or timed out as a plain Error without a code
 * ("Connection terminated unexpectedly", "timeout exceeded when trying to connect", "Client has
 * encountered a connection error and is not queryable").
 */
const CONNECTION_MESSAGE = /connection|terminated|not queryable|timeout/i

const SQLSTATE = /^[0-9A-Z]{5}$/

/** The SQLSTATE of an error the server sent (node-postgres `DatabaseError`), else undefined. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('severity' in error) || !('code' in error)) return undefined
  const code = (error as { code: unknown }).code
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined
}

function nodeCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') return code
  // Connecting to a host name with several addresses fails with an AggregateError.
  if (error instanceof AggregateError) return nodeCode(error.errors[0])
  return undefined
}

/**
 * The code a failure is reported with when it means "unavailable": the SQLSTATE, the Node error
 * code, `CONNECTION_LOST`/`CONNECT_TIMEOUT` for node-postgres's code-less connection errors;
 * undefined for anything else (a bug or a constraint violation).
 */
export function unavailableCode(error: unknown): string | undefined {
  const state = sqlState(error)
  if (state !== undefined) {
    return UNAVAILABLE_SQLSTATE_CLASSES.includes(state.slice(0, 2)) || UNAVAILABLE_SQLSTATES.includes(state) ? state : undefined
  }
  const code = nodeCode(error)
  if (code !== undefined) return UNAVAILABLE_NODE_CODES.includes(code) ? code : undefined
  if (error instanceof Error && CONNECTION_MESSAGE.test(error.message)) {
    return /timeout/i.test(error.message) ? 'CONNECT_TIMEOUT' : 'CONNECTION_LOST'
  }
  return undefined
}

/**
 * True when the connection that produced `error` must not be reused: the server or the socket
 * failed, as opposed to a statement the server refused on a healthy session.
 */
export function isBrokenConnection(error: unknown): boolean {
  const state = sqlState(error)
  if (state === undefined) return true
  return ['08', '57', '58', 'XX'].includes(state.slice(0, 2))
}

export interface PostgresFailureContext {
  /** What was being done, as a verb phrase: `append to`, `open`. */
  operation: string
  docId?: string
  /** The database, without its password (see `describeDatabaseUrl`). */
  database: string
}

/** Maps any error thrown by node-postgres; our own typed errors pass through. */
export function mapPostgresFailure(error: unknown, context: PostgresFailureContext): Error {
  if (error instanceof StorageError || error instanceof InvalidDocIdError) return error
  const code = unavailableCode(error) ?? sqlState(error) ?? nodeCode(error)
  const detail = error instanceof Error ? error.message || error.name : String(error)
  const target =
    context.docId === undefined ? context.database : `document ${JSON.stringify(context.docId)} in ${context.database}`
  const message = `Cannot ${context.operation} ${target}: ${detail}${code === undefined ? '' : ` (${code})`}`
  if (unavailableCode(error) !== undefined) return new StorageUnavailableError(message, code, { cause: error })
  return new StorageError(message, { cause: error })
}

/**
 * The connection string without its password, for error messages and logs:
 * `postgres://relay@db.internal:5432/collab`. Strings that are not URLs are not echoed at all.
 */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl)
    url.password = ''
    url.search = ''
    url.hash = ''
    return url.toString()
  } catch {
    return 'the PostgreSQL database'
  }
}
