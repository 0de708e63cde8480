// The DocStore contract on a real PostgreSQL server started by this file. Each case gets a
// fresh schema (the adapter's `schema` option) in one database: as isolated as a database per
// case, at a fraction of the cost of CREATE DATABASE.
import { afterAll, beforeAll } from 'vitest'
import { PostgresDocStore } from '../src/index'
import { runDocStoreContract } from './contract'
import { SERVER_HOOK_TIMEOUT_MS, requirePostgres, startPostgres, type PostgresServer } from './pg-server'

if (requirePostgres('DocStore contract: PostgreSQL')) {
  let server: PostgresServer
  let databaseUrl: string
  let caseNumber = 0

  beforeAll(async () => {
    server = await startPostgres()
    databaseUrl = await server.createDatabase('contract')
  }, SERVER_HOOK_TIMEOUT_MS)

  afterAll(async () => {
    await server?.close()
  }, SERVER_HOOK_TIMEOUT_MS)

  runDocStoreContract('PostgreSQL', async (options) => {
    const schema = `contract_${++caseNumber}`
    const open = () => PostgresDocStore.open({ databaseUrl, schema, ...options })
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        await server.query(`DROP SCHEMA ${schema} CASCADE`, [], new URL(databaseUrl).pathname.slice(1))
      },
    }
  })
}
