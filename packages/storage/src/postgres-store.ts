// The scale-out adapter: several relays share one PostgreSQL database through node-postgres.
// Every write is one transaction on the server; a call resolves only after the server confirmed
// its COMMIT, so a write is never reported stored when it was not.
import type pg from 'pg'
import type { PoolClient, PoolConfig } from 'pg'
import type { CompactionLockResult, DocStats, DocStore, DocSummary, StoredDoc } from './doc-store'
import { InvalidArgumentError, InvalidSeqError, StaleSnapshotError, StorageError, StoreClosedError } from './errors'
import { describeDatabaseUrl, isBrokenConnection, mapPostgresFailure } from './postgres-errors'
import { advisoryLockKey } from './postgres-locks'
import { DEFAULT_POSTGRES_SCHEMA, migratePostgres, quoteSchemaName } from './postgres-schema'
import { buildPostgresStatements, type NamedStatement, type PostgresStatements } from './postgres-statements'
import { TickAppends, type PendingAppend } from './tick-appends'
import {
  checkDocId,
  checkListOptions,
  checkSnapshot,
  checkUpdates,
  requirePositiveInteger,
  resolvePayloadLimits,
  type PayloadLimits,
} from './validate'

export const DEFAULT_POSTGRES_POOL_SIZE = 10
export const DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS = 5_000
export const DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS = 30_000

export interface PostgresDocStoreOptions {
  /** `postgres://user:password@host:5432/database` (the relay's `DATABASE_URL`). */
  databaseUrl: string
  /** Schema (namespace) holding the tables, created at open; default `collab`. */
  schema?: string
  /** Clock for `updatedAtMs`; defaults to `Date.now`. */
  now?: () => number
  /** Largest single update `append` accepts; default 16 MiB. */
  maxUpdateBytes?: number
  /** Largest snapshot `replaceSnapshot` accepts; default 256 MiB. */
  maxSnapshotBytes?: number
  /** Connections in the pool; default 10. The compaction lock uses one more, outside the pool. */
  poolSize?: number
  /** How long to wait for a connection (new or from a full pool) before failing; default 5,000. */
  connectTimeoutMs?: number
  /** Server-side `statement_timeout`: a statement running longer is cancelled (and fails, nothing stored); default 30,000. */
  statementTimeoutMs?: number
}

/** One document's appends of a tick: one row of an `appendMany` statement, seqs in call order. */
interface DocAppends {
  readonly docId: string
  readonly appends: PendingAppend[]
  entries: number
  bytes: number
}

/**
 * Bounds of one `appendMany` statement. A tick's appends beyond them go in further statements,
 * sent at once (the pool runs them side by side); a single document's appends are never split.
 */
const MAX_DOCS_PER_STATEMENT = 100
const MAX_BYTES_PER_STATEMENT = 4 * 1024 * 1024

/** Groups appends by document (first-call order) and cuts the groups into statements. */
function appendStatements(pending: readonly PendingAppend[]): DocAppends[][] {
  const byDoc = new Map<string, DocAppends>()
  for (const append of pending) {
    let doc = byDoc.get(append.docId)
    if (doc === undefined) {
      doc = { docId: append.docId, appends: [], entries: 0, bytes: 0 }
      byDoc.set(append.docId, doc)
    }
    doc.appends.push(append)
    doc.entries += append.updates.length
    for (const update of append.updates) doc.bytes += update.byteLength
  }
  const statements: DocAppends[][] = []
  let current: DocAppends[] = []
  let currentBytes = 0
  for (const doc of byDoc.values()) {
    if (current.length === MAX_DOCS_PER_STATEMENT || (current.length > 0 && currentBytes + doc.bytes > MAX_BYTES_PER_STATEMENT)) {
      statements.push(current)
      current = []
      currentBytes = 0
    }
    current.push(doc)
    currentBytes += doc.bytes
  }
  if (current.length > 0) statements.push(current)
  return statements
}

/** What `append` and `appendMany` answer per document. */
interface AppendRow {
  doc_id: string
  last_seq: string
  stored: string
}

interface DocRow {
  doc_key: string
  last_seq: string
  snapshot_seq: string
}

/** node-postgres returns bigint columns as strings; every counter we store is far below 2^53. */
function toNumber(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value)
}

/** Zero-copy view, so callers get plain `Uint8Array`s rather than Buffers. */
function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

function checkOptions(options: PostgresDocStoreOptions): void {
  if (typeof options.databaseUrl !== 'string' || options.databaseUrl.trim() === '') {
    throw new InvalidArgumentError('databaseUrl', options.databaseUrl, 'a postgres:// connection string')
  }
  resolvePayloadLimits(options)
  quoteSchemaName(options.schema ?? DEFAULT_POSTGRES_SCHEMA)
  requirePositiveInteger('poolSize', options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE)
  requirePositiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS)
  requirePositiveInteger('statementTimeoutMs', options.statementTimeoutMs ?? DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS)
}

/**
 * {@link DocStore} on PostgreSQL, for several relays sharing one database. Adds
 * {@link PostgresDocStore.tryWithCompactionLock} (an advisory lock, exclusive across relays).
 */
export class PostgresDocStore implements DocStore {
  private pool: pg.Pool | null
  private readonly statements: PostgresStatements
  private readonly limits: PayloadLimits
  private readonly now: () => number
  /** The session holding this store's compaction locks; connected on first use. */
  private lockSession: Promise<pg.Client> | null = null
  /** Advisory locks are re-entrant per session, so exclusion inside this store is kept here. */
  private readonly lockedDocIds = new Set<string>()
  private readonly appends = new TickAppends(() => this.sendPendingAppends())
  /** `appendMany` statements on their way; close waits for them. */
  private readonly appendsInFlight = new Set<Promise<void>>()

  private constructor(
    /** The database without its password, as used in error messages. */
    readonly database: string,
    /** Schema holding the tables. */
    readonly schema: string,
    pool: pg.Pool,
    /** node-postgres's Client class (the module is loaded by {@link PostgresDocStore.open}). */
    private readonly Client: typeof pg.Client,
    private readonly clientConfig: PoolConfig,
    options: PostgresDocStoreOptions,
  ) {
    this.pool = pool
    this.statements = buildPostgresStatements(quoteSchemaName(schema))
    this.limits = resolvePayloadLimits(options)
    const clock = options.now ?? Date.now
    this.now = () => Math.floor(clock())
  }

  /**
   * Connects and creates or migrates the schema (serialized across relays by an advisory lock).
   * Rejects with `StorageUnavailableError` when the database cannot be reached or used
   * (its `code` says why: `ECONNREFUSED`, `28P01`, `3D000`, …), `SchemaVersionError` when the
   * schema belongs to a newer build, `InvalidArgumentError` for bad options.
   */
  static async open(options: PostgresDocStoreOptions): Promise<PostgresDocStore> {
    checkOptions(options)
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA
    const database = describeDatabaseUrl(options.databaseUrl)
    const clientConfig: PoolConfig = {
      connectionString: options.databaseUrl,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS,
      statement_timeout: options.statementTimeoutMs ?? DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'collab-relay',
    }
    // Loaded here, not at the top: a relay on SQLite (the default) never pays for node-postgres
    // (~3 MiB of heap once loaded).
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE })
    // An idle connection that dies (server restart, network) is dropped by the pool, which
    // then emits 'error'; without a listener that event would crash the relay. The next query
    // opens a new connection and reports any failure itself.
    pool.on('error', () => undefined)
    try {
      const client = await pool.connect()
      try {
        await migratePostgres(client, schema, database, Math.floor((options.now ?? Date.now)()))
        client.release()
      } catch (error) {
        client.release(true)
        throw error
      }
      return new PostgresDocStore(database, schema, pool, pg.Client, clientConfig, options)
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw mapPostgresFailure(error, { operation: 'open', database })
    }
  }

  private requireOpen(operation: string, docId: string | undefined): pg.Pool {
    if (this.pool === null) {
      throw new StoreClosedError(operation, docId)
    }
    return this.pool
  }

  private fail(error: unknown, operation: string, docId: string | undefined): Error {
    return mapPostgresFailure(error, { operation, database: this.database, ...(docId === undefined ? {} : { docId }) })
  }

  /** One statement (its own transaction on the server), failures mapped. */
  private async query<Row extends object>(
    operation: string,
    docId: string | undefined,
    statement: NamedStatement,
    values: unknown[],
  ): Promise<Row[]> {
    this.sendPendingAppends()
    const pool = this.requireOpen(operation, docId)
    try {
      return (await pool.query<Row & pg.QueryResultRow>({ ...statement, values })).rows
    } catch (error) {
      throw this.fail(error, operation, docId)
    }
  }

  /**
   * Runs `body` inside BEGIN … COMMIT on one connection and resolves only once the server
   * confirmed the COMMIT. Anything `body` throws rolls back; a connection that failed is
   * destroyed instead of going back to the pool. A connection lost during COMMIT is reported as
   * a failure although the server may have committed: the caller retries, which is harmless
   * for every write here (see README, "Ambiguous commits").
   */
  private async transaction<T>(operation: string, docId: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    this.sendPendingAppends()
    const pool = this.requireOpen(operation, docId)
    let client: PoolClient
    try {
      client = await pool.connect()
    } catch (error) {
      throw this.fail(error, operation, docId)
    }
    let broken: unknown
    // A checked-out client has no other 'error' listener; an unhandled one would crash the relay.
    const onError = (error: unknown) => {
      broken ??= error
    }
    client.on('error', onError)
    try {
      await client.query('BEGIN')
      const value = await body(client)
      const committed = await client.query('COMMIT')
      // COMMIT of a transaction the server already aborted answers ROLLBACK, not an error.
      if (committed.command !== 'COMMIT') throw new StorageError(`COMMIT answered ${committed.command}`)
      return value
    } catch (error) {
      if (isBrokenConnection(error) && !(error instanceof StorageError)) broken ??= error
      if (broken === undefined) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          broken = rollbackError
        }
      }
      throw this.fail(error, operation, docId)
    } finally {
      client.off('error', onError)
      client.release(broken === undefined ? undefined : true)
    }
  }

  async load(docId: string): Promise<StoredDoc> {
    checkDocId(docId)
    const rows = await this.query<{ last_seq: string | null; data: Buffer | null; seq: string | null }>(
      'load',
      docId,
      this.statements.load,
      [docId],
    )
    const [head, ...log] = rows
    if (head === undefined) return { snapshot: null, updates: [], lastSeq: 0 }
    return {
      snapshot: head.data === null ? null : toBytes(head.data),
      updates: log.map((row) => toBytes(row.data as Buffer)),
      lastSeq: toNumber(head.last_seq),
    }
  }

  /**
   * The appends made in one tick (the rooms the relay flushes together) go to the server together
   * at the end of the tick (a microtask): one `appendMany` statement, so one round trip and one
   * COMMIT, for up to {@link MAX_DOCS_PER_STATEMENT} documents, a document's appends of the tick
   * in one row with their seqs in call order. Any other call sends the waiting appends first, so
   * calls leave in call order as before (concurrent calls run on separate pooled connections, in
   * no set order). A failed statement rejects each of its appends with an error naming that
   * append's document, and stores none of them.
   */
  async append(docId: string, updates: readonly Uint8Array[]): Promise<number> {
    checkDocId(docId)
    checkUpdates(docId, updates, this.limits)
    if (updates.length === 0) {
      const rows = await this.query<{ last_seq: string }>('append to', docId, this.statements.lastSeq, [docId])
      return toNumber(rows[0]?.last_seq)
    }
    this.requireOpen('append to', docId)
    return this.appends.add(docId, updates)
  }

  private sendPendingAppends(): void {
    for (const docs of appendStatements(this.appends.take())) {
      const sent = this.storeAppends(docs).finally(() => this.appendsInFlight.delete(sent))
      this.appendsInFlight.add(sent)
    }
  }

  /** `append` for one document, `appendMany` for several; one row per document. */
  private async appendStatement(pool: pg.Pool, docs: readonly DocAppends[]): Promise<AppendRow[]> {
    const nowMs = this.now()
    const updatesOf = (doc: DocAppends) => doc.appends.flatMap((append) => append.updates)
    const [only] = docs
    if (docs.length === 1 && only !== undefined) {
      const values = [only.docId, only.entries, only.bytes, nowMs, updatesOf(only)]
      const { rows } = await pool.query<{ last_seq: string; stored: string }>({ ...this.statements.append, values })
      return rows.map((row) => ({ doc_id: only.docId, ...row }))
    }
    const docIndex: number[] = []
    const position: number[] = []
    const data: Uint8Array[] = []
    docs.forEach((doc, index) => {
      updatesOf(doc).forEach((update, inDoc) => {
        docIndex.push(index + 1)
        position.push(inDoc + 1)
        data.push(update)
      })
    })
    const values = [docs.map((doc) => doc.docId), docs.map((doc) => doc.entries), docs.map((doc) => doc.bytes), nowMs, docIndex, position, data]
    return (await pool.query<AppendRow>({ ...this.statements.appendMany, values })).rows
  }

  /** One statement; settles every append in `docs` and never rejects itself. */
  private async storeAppends(docs: readonly DocAppends[]): Promise<void> {
    let rows: AppendRow[]
    try {
      rows = await this.appendStatement(this.requireOpen('append to', docs[0]?.docId), docs)
    } catch (error) {
      for (const doc of docs) {
        const failure = error instanceof StoreClosedError ? new StoreClosedError('append to', doc.docId) : this.fail(error, 'append to', doc.docId)
        for (const append of doc.appends) append.reject(failure)
      }
      return
    }
    const byDoc = new Map(rows.map((row) => [row.doc_id, row]))
    for (const doc of docs) {
      const row = byDoc.get(doc.docId)
      if (row === undefined || toNumber(row.stored) !== doc.entries) {
        const failure = new StorageError(
          `Append to document ${JSON.stringify(doc.docId)} stored ${String(row?.stored ?? 0)} of ${doc.entries} updates`,
        )
        for (const append of doc.appends) append.reject(failure)
        continue
      }
      // The row's last_seq is the last of this document's batch: count back to each append's.
      let lastSeq = toNumber(row.last_seq) - doc.entries
      for (const append of doc.appends) {
        lastSeq += append.updates.length
        append.resolve(lastSeq)
      }
    }
  }

  async replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    checkDocId(docId)
    checkSnapshot(docId, snapshot, this.limits)
    const nowMs = this.now()
    await this.transaction('replace the snapshot of', docId, async (client) => {
      const lockDoc = async () => (await client.query<DocRow>({ ...this.statements.lockDoc, values: [docId] })).rows[0]
      let row = await lockDoc()
      if (row === undefined) {
        // Checked before creating the row, so a refused call on an unknown doc creates nothing.
        checkSnapshotSeq(docId, upToSeq, 0, 0)
        await client.query({ ...this.statements.ensureDoc, values: [docId, nowMs] })
        row = await lockDoc()
        if (row === undefined) throw new StorageError(`docs row for ${JSON.stringify(docId)} vanished inside its transaction`)
      }
      checkSnapshotSeq(docId, upToSeq, toNumber(row.last_seq), toNumber(row.snapshot_seq))
      await client.query({
        ...this.statements.replaceSnapshot,
        values: [row.doc_key, upToSeq, snapshot, snapshot.byteLength, nowMs],
      })
    })
  }

  async stats(docId: string): Promise<DocStats> {
    checkDocId(docId)
    const rows = await this.query<{ snapshot_bytes: string; log_entries: string; log_bytes: string }>(
      'read stats of',
      docId,
      this.statements.stats,
      [docId],
    )
    const row = rows[0]
    return {
      snapshotBytes: toNumber(row?.snapshot_bytes),
      logEntries: toNumber(row?.log_entries),
      logBytes: toNumber(row?.log_bytes),
    }
  }

  async list(options?: { limit?: number; offset?: number }): Promise<DocSummary[]> {
    const page = checkListOptions(options)
    const rows = await this.query<{ doc_id: string; updated_at_ms: string; stored_bytes: string }>(
      'list documents in',
      undefined,
      this.statements.list,
      [page.limit, page.offset],
    )
    return rows.map((row) => ({
      docId: row.doc_id,
      updatedAtMs: toNumber(row.updated_at_ms),
      storedBytes: toNumber(row.stored_bytes),
    }))
  }

  async delete(docId: string): Promise<void> {
    checkDocId(docId)
    // One statement: the foreign keys cascade to the snapshot and the log.
    await this.query('delete', docId, this.statements.deleteDoc, [docId])
  }

  /**
   * See {@link DocStore.tryWithCompactionLock}. A session-level advisory lock keyed by
   * (schema, doc id), taken with `pg_try_advisory_lock` on a dedicated connection outside the
   * pool, so `fn` can use the whole pool and a lock never pins a pooled connection. If that
   * session dies the server releases its locks: another relay may then start compacting while
   * `fn` still runs, which `replaceSnapshot`'s rules make harmless.
   */
  async tryWithCompactionLock<T>(docId: string, fn: () => Promise<T>): Promise<CompactionLockResult<T>> {
    checkDocId(docId)
    const operation = 'lock for compaction'
    this.requireOpen(operation, docId)
    if (this.lockedDocIds.has(docId)) return { acquired: false }
    this.lockedDocIds.add(docId)
    try {
      const key = advisoryLockKey('collab-storage:compact', this.schema, docId)
      let session: Promise<pg.Client> | undefined
      let client: pg.Client
      try {
        session = this.connectLockSession()
        client = await session
        const result = await client.query<{ acquired: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS acquired', [key])
        if (result.rows[0]?.acquired !== true) return { acquired: false }
      } catch (error) {
        if (session !== undefined) void this.dropLockSession(session)
        throw this.fail(error, operation, docId)
      }
      try {
        return { acquired: true, value: await fn() }
      } finally {
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key])
        } catch {
          // The session is gone, and with it the lock; `fn`'s outcome is what the caller needs.
          void this.dropLockSession(session)
        }
      }
    } finally {
      this.lockedDocIds.delete(docId)
    }
  }

  private connectLockSession(): Promise<pg.Client> {
    if (this.lockSession !== null) return this.lockSession
    const client = new this.Client(this.clientConfig)
    const session = client.connect().then(() => client)
    this.lockSession = session
    // Same reason as the pool's listener: a dead idle session must not crash the relay.
    const drop = () => void this.dropLockSession(session)
    client.on('error', drop)
    client.on('end', drop)
    session.catch(drop)
    return session
  }

  /** Forgets a lock session (if still current) and ends its connection. */
  private async dropLockSession(session: Promise<pg.Client>): Promise<void> {
    if (this.lockSession !== session) return
    this.lockSession = null
    await session.then((client) => client.end()).catch(() => undefined)
  }

  /** Waits for running calls, then closes every connection. Closing twice is a no-op. */
  async close(): Promise<void> {
    const pool = this.pool
    if (pool === null) return
    this.sendPendingAppends()
    this.pool = null
    // A statement still waiting for a pooled connection would never get one once the pool ends.
    await Promise.all(this.appendsInFlight)
    const session = this.lockSession
    await Promise.all([session === null ? undefined : this.dropLockSession(session), pool.end().catch(() => undefined)])
  }
}

function checkSnapshotSeq(docId: string, upToSeq: number, lastSeq: number, snapshotSeq: number): void {
  if (!Number.isSafeInteger(upToSeq) || upToSeq < 0 || upToSeq > lastSeq) throw new InvalidSeqError(docId, upToSeq, lastSeq)
  if (upToSeq < snapshotSeq) throw new StaleSnapshotError(docId, upToSeq, snapshotSeq)
}
