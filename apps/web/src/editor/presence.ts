import { normalizeUserColor, normalizeUserName, type UserProfile } from '@collab/sync-client'
import type { Awareness } from 'y-protocols/awareness'

/** One person in the document (one awareness client = one tab). */
export interface PresenceUser {
  clientId: number
  name: string
  color: string
  self: boolean
}

// y-prosemirror's own rule for colours it can draw (it warns on anything else).
const DRAWABLE_COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/
export const FALLBACK_COLOR = '#868e96'

/** Awareness states come from other browsers: read `user` defensively, never trust its shape. */
export function readAwarenessUser(state: unknown): { name: string; color: string } | null {
  if (typeof state !== 'object' || state === null) return null
  const user = (state as Record<string, unknown>)['user']
  if (typeof user !== 'object' || user === null) return null
  const { name, color } = user as Record<string, unknown>
  return { name: normalizeUserName(name) ?? 'Anonymous', color: normalizeUserColor(color) ?? FALLBACK_COLOR }
}

/**
 * True when y-prosemirror can draw this remote state's cursor: it assumes `user` is an object
 * (or absent) with a `#rrggbb` colour, and `cursor` holds relative-position objects; anything
 * else would make it warn or throw while building decorations.
 */
export function isDrawableRemoteState(state: unknown): boolean {
  if (typeof state !== 'object' || state === null) return false
  const { user, cursor } = state as Record<string, unknown>
  if (user !== undefined && user !== null) {
    if (typeof user !== 'object') return false
    const color = (user as Record<string, unknown>)['color']
    if (color !== undefined && color !== null && !(typeof color === 'string' && DRAWABLE_COLOR_PATTERN.test(color))) {
      return false
    }
  }
  if (cursor !== undefined && cursor !== null) {
    if (typeof cursor !== 'object') return false
    const { anchor, head } = cursor as Record<string, unknown>
    if (typeof anchor !== 'object' || anchor === null || typeof head !== 'object' || head === null) return false
  }
  return true
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
