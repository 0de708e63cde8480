export { buildApp, relayApp, resolveConfig, type BuildAppOptions, type ConfigOverrides, type RelayAppOptions, type RelayHandle } from './app'
export {
  CONFIG_VARIABLES,
  ConfigError,
  DEFAULT_WEB_DIST_DIR,
  LOG_LEVELS,
  configHelp,
  configMarkdownTable,
  defaultConfig,
  loadConfig,
  type LogLevel,
  type RelayConfig,
} from './config'
export { Connection } from './connection/connection'
export { startHeartbeat, type HeartbeatOptions } from './connection/heartbeat'
export { LOAD_ORIGIN, Room, STORAGE_UNAVAILABLE_REASON, type RoomOptions, type RoomState } from './rooms/room'
export { RoomManager, type OpenRoomInfo } from './rooms/room-manager'
export { realTimers, type TimerHandle, type Timers } from './timers'
export {
  AccessDeniedError,
  MIN_AUTH_SECRET_LENGTH,
  authorize,
  grantCovers,
  mintAccessToken,
  patternMatches,
  verifyAccessToken,
  type AccessGrant,
  type AccessRole,
  type MintOptions,
} from './auth/access-token'
export { DEFAULT_ALLOWED_ORIGINS, OriginPolicy, parseAllowedOrigins } from './auth/origin-policy'
export { RelayMetrics, METRICS_CONTENT_TYPE } from './metrics/relay-metrics'
export { READ_ONLY_REASON } from './rooms/room'
