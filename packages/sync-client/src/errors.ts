/** An option passed to the sync client is out of range or of the wrong kind. */
export class InvalidSyncClientOptionError extends Error {
  override readonly name = 'InvalidSyncClientOptionError'
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`Invalid sync client option ${option}: ${describe(value)} (expected ${expected})`)
  }
}

/** A user profile (name/colour) that cannot be shown to others. */
export class InvalidUserProfileError extends Error {
  override readonly name = 'InvalidUserProfileError'
  constructor(
    readonly field: 'name' | 'color' | 'profile',
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`Invalid user ${field} ${describe(value)}: expected ${expected}`)
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}
