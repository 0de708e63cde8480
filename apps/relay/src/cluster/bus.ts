/** What the bus reports to the cluster link. */
export interface ClusterBusHandlers {
  /** A message on a subscribed channel (the relay's own messages included: filter by origin). */
  onMessage(channel: string, message: Uint8Array): void
  /**
   * The bus is (again) connected with every subscription active. Messages may have been lost
   * while it was not, so the link runs anti-entropy for every open document.
   */
  onConnected(): void
  /** The bus lost its connection; publishes are dropped until {@link onConnected}. */
  onDisconnected(): void
}

/**
 * Fire-and-forget pub/sub between relays (Redis in production, an in-memory hub in tests).
 * Delivery is not guaranteed: anti-entropy repairs what is lost.
 */
export interface ClusterBus {
  /** Starts connecting and delivering to `handlers`. Called once. */
  start(handlers: ClusterBusHandlers): void
  /** Publishes one message; silently dropped while disconnected. */
  publish(channel: string, message: Uint8Array): void
  /** Subscribes (again after every reconnect) until {@link unsubscribe}. */
  subscribe(channel: string): void
  unsubscribe(channel: string): void
  /** Whether publishes currently reach the bus. */
  readonly connected: boolean
  /** Delivers what was published before, then disconnects for good. */
  close(): Promise<void>
}
