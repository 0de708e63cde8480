import type { SyncClient, UserProfile } from '@collab/sync-client'
import { useEffect, useState, type CSSProperties } from 'react'
import { presenceKey, readPresence, type PresenceUser } from './presence'

function usePresence(client: SyncClient, self: UserProfile): PresenceUser[] {
  const [users, setUsers] = useState(() => readPresence(client.awareness, self))
  useEffect(() => {
    let currentKey = ''
    const refresh = () => {
      const next = readPresence(client.awareness, self)
      const key = presenceKey(next)
      // Cursor moves also fire `change`; only re-render when the people changed.
      if (key === currentKey) return
      currentKey = key
      setUsers(next)
    }
    refresh()
    client.awareness.on('change', refresh)
    return () => client.awareness.off('change', refresh)
  }, [client, self])
  return users
}

/** Everyone in the document: a colour dot and a name each; this tab is marked `data-self`. */
export function PresenceBar({ client, self }: { client: SyncClient; self: UserProfile }) {
  const users = usePresence(client, self)
  const others = users.length - 1
  return (
    <div className="presence" data-testid="presence" aria-label={`${users.length} ${users.length === 1 ? 'person' : 'people'} here`}>
      <ul className="presence-list">
        {users.map((user) => (
          <li
            key={user.clientId}
            className="presence-user"
            data-testid="presence-user"
            data-self={user.self ? 'true' : 'false'}
            data-color={user.color}
            style={{ '--user-color': user.color } as CSSProperties}
            title={user.self ? `${user.name} (you)` : user.name}
          >
            {/* Initials are drawn by CSS so the element's text stays exactly the name. */}
            <span className="presence-dot" aria-hidden="true" data-initials={initials(user.name)} />
            <span className="presence-name">{user.name}</span>
          </li>
        ))}
      </ul>
      <span className="presence-count muted small" aria-hidden="true">
        {others === 0 ? 'Only you' : `${others + 1} here`}
      </span>
    </div>
  )
}

function initials(name: string): string {
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => Array.from(word)[0] ?? '')
  return letters.join('').toUpperCase()
}
