import type { SyncClient, UserProfile } from '@collab/sync-client'
import { useState } from 'react'

export interface ProfileFieldsProps {
  client: SyncClient
  profile: UserProfile
  onProfileChange: (profile: UserProfile) => void
}

/** The local user's name and colour: remembered by the sync client, shown to others live. */
export function ProfileFields({ client, profile, onProfileChange }: ProfileFieldsProps) {
  // The draft may be momentarily unusable (an empty name while retyping); the published profile
  // only changes when the draft is valid.
  const [nameDraft, setNameDraft] = useState(profile.name)
  const [nameInvalid, setNameInvalid] = useState(false)

  const publish = (next: UserProfile): boolean => {
    try {
      onProfileChange(client.setUser(next))
      return true
    } catch {
      return false
    }
  }

  return (
    <div className="profile">
      <label className="color-swatch" title="Your colour" style={{ backgroundColor: profile.color }}>
        <span className="visually-hidden">Your colour</span>
        <input
          type="color"
          data-testid="user-color"
          value={profile.color}
          onChange={(event) => publish({ name: profile.name, color: event.target.value })}
        />
      </label>
      <label className="visually-hidden" htmlFor="user-name">
        Your name
      </label>
      <input
        id="user-name"
        className="input input-small name-input"
        data-testid="user-name"
        placeholder="Your name"
        autoComplete="nickname"
        maxLength={40}
        value={nameDraft}
        aria-invalid={nameInvalid}
        title="Your name, as others see it"
        onChange={(event) => {
          const value = event.target.value
          setNameDraft(value)
          setNameInvalid(!publish({ name: value, color: profile.color }))
        }}
        onBlur={() => {
          setNameDraft(client.getUser().name)
          setNameInvalid(false)
        }}
      />
    </div>
  )
}
