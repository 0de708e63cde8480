import { describe, expect, it } from 'vitest'
import { DEFAULT_ALLOWED_ORIGINS, OriginPatternError, OriginPolicy, isLoopbackHost, parseAllowedOrigins } from './origin-policy'

describe('OriginPolicy', () => {
  const local = new OriginPolicy({ allowedOrigins: DEFAULT_ALLOWED_ORIGINS, listensOnLoopback: true })

  it('allows no Origin, the own page of the relay and localhost pages; refuses the rest', () => {
    expect(local.allows(undefined, '127.0.0.1:8080')).toBe(true)
    expect(local.allows('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true)
    expect(local.allows('http://localhost:5173', '127.0.0.1:8080')).toBe(true)
    expect(local.allows('https://[::1]:3000', '127.0.0.1:8080')).toBe(true)
    expect(local.allows('http://evil.example', '127.0.0.1:8080')).toBe(false)
    expect(local.allows('null', '127.0.0.1:8080')).toBe(false)
    expect(local.allows('http://localhost.evil.example', '127.0.0.1:8080')).toBe(false)
  })

  it('on loopback, a same-origin page counts only from a loopback name (DNS rebinding)', () => {
    expect(local.allows('http://rebind.example:8080', 'rebind.example:8080')).toBe(false)
    const public_ = new OriginPolicy({ allowedOrigins: [], listensOnLoopback: false })
    expect(public_.allows('https://docs.example.com', 'docs.example.com')).toBe(true)
    expect(public_.allows('https://evil.example', 'docs.example.com')).toBe(false)
  })

  it('matches configured origins by scheme, host and port (* for any port, "*" for everything)', () => {
    const policy = new OriginPolicy({ allowedOrigins: parseAllowedOrigins('https://app.example.com, http://dev.example:*'), listensOnLoopback: false })
    expect(policy.allows('https://app.example.com', 'relay')).toBe(true)
    expect(policy.allows('https://app.example.com:443', 'relay')).toBe(true)
    expect(policy.allows('http://app.example.com', 'relay')).toBe(false)
    expect(policy.allows('https://app.example.com:8443', 'relay')).toBe(false)
    expect(policy.allows('http://dev.example:1234', 'relay')).toBe(true)
    expect(new OriginPolicy({ allowedOrigins: ['*'], listensOnLoopback: true }).allows('http://anything', 'x')).toBe(true)
  })

  it('refuses malformed patterns and recognises loopback hosts', () => {
    for (const bad of ['', 'ftp://x', 'https://x/path', 'example.com', 'https://u@x']) {
      expect(() => parseAllowedOrigins(bad), bad).toThrow(OriginPatternError)
    }
    expect(['localhost:1', '127.0.0.1', '127.1.2.3:80', '[::1]:9'].every(isLoopbackHost)).toBe(true)
    expect(['localhost.example', '10.0.0.1', '[::2]'].some(isLoopbackHost)).toBe(false)
  })
})
