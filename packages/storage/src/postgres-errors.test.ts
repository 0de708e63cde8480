import { InvalidDocIdError } from '@collab/protocol'
import { describe, expect, it } from 'vitest'
import { InvalidSeqError, StorageError, StorageUnavailableError } from './errors'
import { describeDatabaseUrl, isBrokenConnection, mapPostgresFailure } from './postgres-errors'

/** The shape node-postgres gives errors the server sent (pg-protocol's DatabaseError). */
function serverError(code: string, message = 'server said no'): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' })
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' })
}

const context = { operation: 'append to', docId: 'doc', database: 'postgres://relay@db:5432/collab' }

describe('mapPostgresFailure', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is shutting down'],
    ['08006', 'connection failure'],
    ['53100', 'could not extend file: No space left on device'],
    ['53300', 'sorry, too many clients already'],
    ['28P01', 'password authentication failed'],
    ['3D000', 'database "x" does not exist'],
    ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['40P01', 'deadlock detected'],
    ['57014', 'canceling statement due to statement timeout'],
  ])('maps SQLSTATE %s to StorageUnavailableError with that code', (code, message) => {
    const mapped = mapPostgresFailure(serverError(code, message), context)
    expect(mapped).toBeInstanceOf(StorageUnavailableError)
    expect((mapped as StorageUnavailableError).code).toBe(code)
    expect(mapped.message).toBe(`Cannot append to document "doc" in postgres://relay@db:5432/collab: ${message} (${code})`)
  })

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND'])('maps socket error %s', (code) => {
    const mapped = mapPostgresFailure(socketError(code), context)
    expect(mapped).toBeInstanceOf(StorageUnavailableError)
    expect((mapped as StorageUnavailableError).code).toBe(code)
  })

  it('maps an AggregateError of refused connections (host names with several addresses)', () => {
    const error = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], 'connect failed')
    expect((mapPostgresFailure(error, context) as StorageUnavailableError).code).toBe('ECONNREFUSED')
  })

  it('maps node-postgres connection errors that carry no code', () => {
    const lost = mapPostgresFailure(new Error('Connection terminated unexpectedly'), context)
    expect((lost as StorageUnavailableError).code).toBe('CONNECTION_LOST')
    const timedOut = mapPostgresFailure(new Error('timeout exceeded when trying to connect'), context)
    expect((timedOut as StorageUnavailableError).code).toBe('CONNECT_TIMEOUT')
  })

  it('keeps statements the server refused on a healthy connection as plain StorageError', () => {
    for (const code of ['23505', '42P01', '22P02', '54000']) {
      const mapped = mapPostgresFailure(serverError(code), context)
      expect(mapped).toBeInstanceOf(StorageError)
      expect(mapped).not.toBeInstanceOf(StorageUnavailableError)
      expect(mapped.message).toContain(`(${code})`)
      expect(isBrokenConnection(serverError(code))).toBe(false)
    }
  })

  it('passes our own errors through unchanged', () => {
    const own = new InvalidSeqError('doc', 9, 3)
    expect(mapPostgresFailure(own, context)).toBe(own)
    const badId = new InvalidDocIdError('a/b')
    expect(mapPostgresFailure(badId, context)).toBe(badId)
  })

  it('treats the connection as broken after socket and shutdown errors', () => {
    expect(isBrokenConnection(socketError('ECONNRESET'))).toBe(true)
    expect(isBrokenConnection(serverError('57P01'))).toBe(true)
    expect(isBrokenConnection(new Error('Connection terminated unexpectedly'))).toBe(true)
  })
})

describe('describeDatabaseUrl', () => {
  it('drops the password and query parameters', () => {
    expect(describeDatabaseUrl('postgres://relay:s3cret@db.internal:5432/collab?sslmode=require&password=x')).toBe(
      'postgres://relay@db.internal:5432/collab',
    )
  })

  it('never echoes a string that is not a URL', () => {
    expect(describeDatabaseUrl('host=db password=s3cret')).toBe('the PostgreSQL database')
  })
})
