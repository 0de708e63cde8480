import { normalizeUserColor, normalizeUserName, type UserProfile } from '@collab/sync-client'
import type { Awareness } from 'y-protocols/awareness'

/** One person in the document (one awareness client = one tab). */
export interface PresenceUser {
  clientId: number
  name: string
  color: string
  self: boolean
}

export const FALLBACK_COLOR = '#868e96'

/** Awareness states come from other browsers: read `user` defensively, never trust its shape. */
export function readAwarenessUser(state: unknown): { name: string; color: string } | null {
  if (typeof state !== 'object' || state === null) return null
  const user = (state as Record<string, unknown>)['user']
  if (typeof user !== 'object' || user === null) return null
  const { name, color } = user as Record<string, unknown>
  return { name: normalizeUserName(name) ?? 'Anonymous', color: normalizeUserColor(color) ?? FALLBACK_COLOR }
}

/** Everyone present: self first, then others by name (stable by client id). */
export function readPresence(awareness: Awareness, self: UserProfile): PresenceUser[] {
  const users: PresenceUser[] = []
  awareness.getStates().forEach((state, clientId) => {
    const isSelf = clientId === awareness.clientID
    const user = isSelf ? self : readAwarenessUser(state)
    if (user === null) return
    users.push({ clientId, name: user.name, color: user.color, self: isSelf })
  })
  if (!users.some((user) => user.self)) users.push({ clientId: awareness.clientID, ...self, self: true })
  return users.sort(
    (a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name) || a.clientId - b.clientId,
  )
}

/** Cheap equality for deciding whether the presence bar must re-render. */
export function presenceKey(users: readonly PresenceUser[]): string {
  return users.map((user) => `${user.clientId}:${user.color}:${user.name}`).join('\n')
}
