// What specs import: the test object with the relay and peer fixtures, expect, and the helpers.
export { expect } from '@playwright/test'
export { test, type Peer, type Peers } from './pages'
export { externalBaseUrl, NEEDS_OWN_RELAY, type Target } from './relay'
export { RelayProcess } from './relay-process'
export { pollFor, pollUntil } from './poll'
export * from './collab'
export { allowFailedSockets, RELAY_DOWN_SOCKET_ERRORS } from './socket-errors'
