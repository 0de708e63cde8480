import { describe, expect, it } from 'vitest'
import { REDACTED, redactUrl } from './request-log'

describe('redactUrl', () => {
  it('replaces the value of the token parameter and keeps the rest of the URL', () => {
    expect(redactUrl('/sync/doc-1?token=eyJ.abc.def')).toBe(`/sync/doc-1?token=${REDACTED}`)
    expect(redactUrl('/api/docs?prefix=a&token=eyJ.abc.def&limit=5')).toBe(`/api/docs?prefix=a&token=${REDACTED}&limit=5`)
  })

  it('redacts every token parameter, with or without a value', () => {
    expect(redactUrl('/sync/d?token=one&token=two&token')).toBe(`/sync/d?token=${REDACTED}&token=${REDACTED}&token=${REDACTED}`)
  })

  it('redacts names that decode to token, and names that do not decode at all', () => {
    // fast-querystring (Fastify's parser) decodes names: %74oken is read as token.
    expect(redactUrl('/sync/d?%74oken=secret')).toBe(`/sync/d?%74oken=${REDACTED}`)
    expect(redactUrl('/sync/d?%E0%A4%A=secret&a=1')).toBe(`/sync/d?%E0%A4%A=${REDACTED}&a=1`)
  })

  it('leaves URLs without a token untouched', () => {
    for (const url of ['/healthz', '/sync/doc', '/sync/doc?', '/api/docs?tokens=1&my_token=2&prefix=token']) expect(redactUrl(url)).toBe(url)
  })
})
