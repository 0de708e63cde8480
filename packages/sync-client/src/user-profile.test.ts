import { describe, expect, it } from 'vitest'
import type { KeyValueStorage } from './api'
import { InvalidUserProfileError } from './errors'
import {
  MAX_USER_NAME_LENGTH,
  USER_COLORS,
  USER_PROFILE_STORAGE_KEY,
  loadUserProfile,
  normalizeUserProfile,
  randomUserProfile,
  saveUserProfile,
} from './user-profile'

function memoryStorage(initial: Record<string, string> = {}): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial))
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
  }
}

describe('user profile', () => {
  it('creates, remembers and reloads a friendly default', () => {
    const storage = memoryStorage()
    const first = loadUserProfile(storage, () => 0.42)
    expect(first.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/)
    expect(USER_COLORS).toContain(first.color)
    expect(loadUserProfile(storage, () => 0.99)).toEqual(first)
  })

  it('saves a chosen profile normalised and reads it back', () => {
    const storage = memoryStorage()
    const saved = saveUserProfile(storage, { name: '  Ada \n Lovelace ', color: '#AABBCC' })
    expect(saved).toEqual({ name: 'Ada Lovelace', color: '#aabbcc' })
    expect(loadUserProfile(storage)).toEqual(saved)
  })

  it('refuses unusable input with the field and value in the message', () => {
    const storage = memoryStorage()
    expect(() => saveUserProfile(storage, { name: ' \u0000 ', color: '#aabbcc' })).toThrow(InvalidUserProfileError)
    expect(() => saveUserProfile(storage, { name: 'Ada', color: 'red' })).toThrow(/color "red"/)
    expect(() => saveUserProfile(storage, { name: 'Ada', color: 'url(javascript:x)' })).toThrow(InvalidUserProfileError)
    expect(storage.data.size).toBe(0)
  })

  it.each([
    ['corrupt JSON', '{"name":'],
    ['a number', '42'],
    ['null', 'null'],
    ['an array', '["Ada","#aabbcc"]'],
    ['a script colour', JSON.stringify({ name: 'Eve', color: 'expression(alert(1))' })],
    ['an empty name', JSON.stringify({ name: '\u202e\u200b', color: '#aabbcc' })],
    ['a non-string name', JSON.stringify({ name: { toString: 1 }, color: '#aabbcc' })],
    ['a huge value', JSON.stringify({ name: 'x'.repeat(10_000), color: '#aabbcc' })],
  ])('replaces a stored profile that is %s', (_label, raw) => {
    const storage = memoryStorage({ [USER_PROFILE_STORAGE_KEY]: raw })
    const profile = loadUserProfile(storage, () => 0.1)
    expect(normalizeUserProfile(profile)).toEqual(profile)
    expect(profile.name.length).toBeGreaterThan(0)
    expect(JSON.parse(storage.data.get(USER_PROFILE_STORAGE_KEY)!)).toEqual(profile)
  })

  it('strips bidi overrides and control characters and caps the length', () => {
    const long = 'A'.repeat(MAX_USER_NAME_LENGTH + 20)
    expect(normalizeUserProfile({ name: 'Mal\u202elory\u0007', color: '#000000' })).toEqual({ name: 'Mallory', color: '#000000' })
    expect(normalizeUserProfile({ name: long, color: '#000000' })?.name).toHaveLength(MAX_USER_NAME_LENGTH)
    expect(normalizeUserProfile({ name: '😀'.repeat(50), color: '#000000' })?.name).toBe('😀'.repeat(MAX_USER_NAME_LENGTH))
  })

  it('survives a storage that throws', () => {
    const hostile: KeyValueStorage = {
      getItem: () => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(normalizeUserProfile(loadUserProfile(hostile))).not.toBeNull()
    expect(saveUserProfile(hostile, { name: 'Ada', color: '#123456' })).toEqual({ name: 'Ada', color: '#123456' })
    expect(loadUserProfile(null)).toEqual(expect.objectContaining({ name: expect.any(String) }))
  })

  it('picks every palette colour for some random value', () => {
    const colors = new Set(Array.from({ length: 1000 }, (_, i) => randomUserProfile(() => i / 1000).color))
    expect(colors.size).toBe(USER_COLORS.length)
  })
})
