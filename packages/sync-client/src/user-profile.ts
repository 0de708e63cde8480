import type { KeyValueStorage, UserProfile } from './api'
import { InvalidUserProfileError } from './errors'

/** localStorage key of the remembered profile. */
export const USER_PROFILE_STORAGE_KEY = 'collab:user-profile'

export const MAX_USER_NAME_LENGTH = 40

/** Colours readable as caret/selection tints on white, and as label backgrounds with white text. */
export const USER_COLORS: readonly string[] = Object.freeze([
  '#e03131', '#c2255c', '#9c36b5', '#6741d9', '#3b5bdb', '#1971c2',
  '#0c8599', '#099268', '#2f9e44', '#e8590c', '#d9480f', '#5c940d',
])

const ADJECTIVES = [
  'Amber', 'Brave', 'Calm', 'Clever', 'Curious', 'Eager', 'Gentle', 'Happy', 'Jolly', 'Kind',
  'Lively', 'Lucky', 'Merry', 'Nimble', 'Quiet', 'Swift', 'Sunny', 'Witty',
] as const
const ANIMALS = [
  'Badger', 'Beaver', 'Falcon', 'Fox', 'Heron', 'Koala', 'Lynx', 'Marten', 'Otter', 'Owl',
  'Panda', 'Puffin', 'Robin', 'Seal', 'Stoat', 'Tiger', 'Wombat', 'Wren',
] as const

const COLOR_PATTERN = /^#[0-9a-f]{6}$/
// Control and format characters (incl. bidi overrides) would let a name spoof or garble the UI.
const UNSAFE_NAME_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu

function pick<T>(items: readonly T[], random: () => number): T {
  const r = random()
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999999) : 0
  return items[Math.floor(unit * items.length)] as T
}

/** A friendly default such as "Swift Otter" with a palette colour. */
export function randomUserProfile(random: () => number = Math.random): UserProfile {
  return { name: `${pick(ADJECTIVES, random)} ${pick(ANIMALS, random)}`, color: pick(USER_COLORS, random) }
}

/** Trims, collapses whitespace, strips control/format characters; null when nothing usable remains. */
export function normalizeUserName(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const cleaned = value.replace(UNSAFE_NAME_CHARS, '').replace(/\s+/gu, ' ').trim()
  if (cleaned.length === 0) return null
  // Cut by code points so a surrogate pair is never split.
  return Array.from(cleaned).slice(0, MAX_USER_NAME_LENGTH).join('').trim()
}

/** Lower-case `#rrggbb`, or null. */
export function normalizeUserColor(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const lower = value.trim().toLowerCase()
  return COLOR_PATTERN.test(lower) ? lower : null
}

/** A clean copy of `value` when it is a usable profile, else null. Never throws. */
export function normalizeUserProfile(value: unknown): UserProfile | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const record = value as Record<string, unknown>
  const name = normalizeUserName(record['name'])
  const color = normalizeUserColor(record['color'])
  return name !== null && color !== null ? { name, color } : null
}

/** Like normalizeUserProfile but throws InvalidUserProfileError naming the bad field. */
export function parseUserProfile(value: unknown): UserProfile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidUserProfileError('profile', value, 'an object { name, color }')
  }
  const record = value as Record<string, unknown>
  const name = normalizeUserName(record['name'])
  if (name === null) {
    throw new InvalidUserProfileError('name', record['name'], 'a non-empty string of visible characters')
  }
  const color = normalizeUserColor(record['color'])
  if (color === null) throw new InvalidUserProfileError('color', record['color'], 'a colour "#rrggbb"')
  return { name, color }
}

/** `localStorage` if this environment has a usable one (it may throw in private modes), else null. */
export function defaultStorage(): KeyValueStorage | null {
  try {
    const storage = (globalThis as { localStorage?: KeyValueStorage }).localStorage
    return storage ?? null
  } catch {
    return null
  }
}

/**
 * The remembered profile, or a fresh random one (saved for next time) when there is none or the
 * stored value is corrupt or hostile.
 */
export function loadUserProfile(
  storage: KeyValueStorage | null | undefined,
  random: () => number = Math.random,
): UserProfile {
  let raw: string | null = null
  try {
    raw = storage?.getItem(USER_PROFILE_STORAGE_KEY) ?? null
  } catch {
    raw = null
  }
  if (raw !== null && raw.length <= 4096) {
    try {
      const stored = normalizeUserProfile(JSON.parse(raw))
      if (stored !== null) return stored
    } catch {
      // corrupt JSON: replaced below
    }
  }
  const fresh = randomUserProfile(random)
  writeProfile(storage, fresh)
  return fresh
}

/** Validates (throws InvalidUserProfileError), stores and returns the normalised profile. */
export function saveUserProfile(storage: KeyValueStorage | null | undefined, profile: UserProfile): UserProfile {
  const clean = parseUserProfile(profile)
  writeProfile(storage, clean)
  return clean
}

function writeProfile(storage: KeyValueStorage | null | undefined, profile: UserProfile): void {
  try {
    storage?.setItem(USER_PROFILE_STORAGE_KEY, JSON.stringify(profile))
  } catch {
    // Quota or privacy mode: the profile still works for this visit.
  }
}
