import { describe, expect, it } from 'vitest'
import { CloseCode, closeReason, isPermanentCloseCode } from './close-code'

describe('close codes', () => {
  const codes = Object.values(CloseCode)

  it('are unique and each has a short reason', () => {
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) {
      const reason = closeReason[code]
      expect(reason).toMatch(/^[a-z-]+$/)
      expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(123)
    }
  })

  it('app codes are 4xxx and split permanent / transient the way y-websocket 3 reconnects', () => {
    for (const code of codes) {
      if (code >= 4000) expect(code).toBeLessThan(5000)
    }
    expect(isPermanentCloseCode(CloseCode.MalformedFrame)).toBe(true)
    expect(isPermanentCloseCode(CloseCode.Unauthorized)).toBe(true)
    expect(isPermanentCloseCode(CloseCode.StorageUnavailable)).toBe(false)
    expect(isPermanentCloseCode(CloseCode.RateLimited)).toBe(false)
    expect(isPermanentCloseCode(CloseCode.ServiceRestart)).toBe(false)
  })
})
