// Public surface of @collab/sync-client: the browser's sync engine, independent of React.
export type {
  BackoffOptions,
  ConnectionState,
  KeyValueStorage,
  LocalPersistenceState,
  NetworkEventSource,
  SyncClient,
  SyncClientOptions,
  SyncStatus,
  TimerHandle,
  Timers,
  UserProfile,
  WebSocketConstructor,
} from './api'
export { createSyncClient } from './sync-client'
export { DEFAULT_BACKOFF, backoffCeilingMs, fullJitterDelayMs } from './backoff'
export { createThrottle, type Throttle, type ThrottleOptions } from './throttle'
export { stateVectorCovers, decodeStateVectorSafe, type StateVector } from './status'
export {
  USER_COLORS,
  USER_PROFILE_STORAGE_KEY,
  MAX_USER_NAME_LENGTH,
  loadUserProfile,
  saveUserProfile,
  normalizeUserProfile,
  normalizeUserName,
  normalizeUserColor,
  parseUserProfile,
  randomUserProfile,
} from './user-profile'
export { localDatabaseName } from './local-store'
export { InvalidSyncClientOptionError, InvalidUserProfileError } from './errors'
export { InvalidDocIdError } from '@collab/protocol'
