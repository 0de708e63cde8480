/**
 * First varUint of every WebSocket frame. 0–3 are the y-websocket protocol that stock clients
 * speak; 100+ are this project's extensions, sent by the relay only to clients that ask for them.
 */
export const MessageType = {
  /** y-protocols sync: step 1 (state vector), step 2 (diff), update. */
  Sync: 0,
  /** y-protocols awareness update. */
  Awareness: 1,
  /** y-protocols auth: permission denied (relay → client) with a reason string. */
  Auth: 2,
  /** Ask the peer to send its full awareness state. */
  QueryAwareness: 3,
  /**
   * Extension. Client → relay: `[100]`, "tell me what you have stored".
   * Relay → client: `[100, varUint8Array(stateVector)]`, sent once everything the relay had
   * received before the request is durable in storage. The client compares it with its own state
   * vector to know whether all local edits are saved.
   */
  SavedStateVector: 100,
} as const

export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** Sub-types of a Sync message (y-protocols/sync). */
export const SyncMessageType = {
  Step1: 0,
  Step2: 1,
  Update: 2,
} as const

export type SyncMessageType = (typeof SyncMessageType)[keyof typeof SyncMessageType]
