// The relay's Fastify skips Ajv's check of each route schema against the JSON Schema meta-schema
// (compiling the meta-schema cost ~70 ms of every start; see buildApp). The check runs here
// instead: every route the relay registers, in a Fastify with Ajv's defaults, which refuses to
// become ready when a schema is not valid JSON Schema.
import { MemoryDocStore } from '@collab/storage'
import Fastify, { type FastifyInstance, type FastifySchema } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { relayApp, resolveConfig } from '../src/app'

/** Validation parts of a route schema (responses go to fast-json-stringify, not Ajv). */
const VALIDATED_PARTS = ['body', 'querystring', 'params', 'headers'] as const

let opened: FastifyInstance | null = null

afterEach(async () => {
  await opened?.close()
  opened = null
})

/** A Fastify with Ajv's defaults (schemas checked against the meta-schema) and the routes' schemas. */
function strictApp(): { app: FastifyInstance; schemas: Array<{ url: string; schema: FastifySchema }> } {
  const instance = Fastify({ logger: false })
  const schemas: Array<{ url: string; schema: FastifySchema }> = []
  instance.addHook('onRoute', (route) => {
    if (route.schema !== undefined) schemas.push({ url: route.url, schema: route.schema })
  })
  opened = instance
  return { app: instance, schemas }
}

describe('route schemas', () => {
  it('are all valid JSON Schema (Ajv compiles them with its meta-schema check on)', async () => {
    const { app, schemas } = strictApp()
    await app.register(relayApp, { store: new MemoryDocStore(), config: resolveConfig() })
    await app.ready()
    const validated = schemas.filter(({ schema }) => VALIDATED_PARTS.some((part) => schema[part] !== undefined))
    // The check covers something: GET /api/docs validates its query string.
    expect(validated.map(({ url }) => url)).toContain('/api/docs')
  })

  it('a schema that is not valid JSON Schema fails that check (the test above can fail)', async () => {
    const { app } = strictApp()
    app.get('/bad', { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 'one' } } } } }, async () => ({}))
    await expect(app.ready()).rejects.toThrow(/minimum/)
  })
})
