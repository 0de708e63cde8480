// A tiny TCP load balancer standing in for nginx/HAProxy in front of several relays: each new
// connection goes to the next backend in turn, skipping backends that refuse (a dead relay), so
// a stock client that reconnects after its relay died lands on a live one. No stickiness.
import net from 'node:net'

export class TcpBalancer {
  private next = 0
  private readonly sockets = new Set<net.Socket>()
  /** Backend port each accepted connection went to, in order. */
  readonly routed: number[] = []

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly backends: readonly number[],
  ) {}

  static async start(backends: readonly number[]): Promise<TcpBalancer> {
    let balancer: TcpBalancer | null = null
    const server = net.createServer((client) => balancer?.accept(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('balancer did not bind a TCP port')
    balancer = new TcpBalancer(server, address.port, backends)
    return balancer
  }

  /** Server URL for a stock `WebsocketProvider`. */
  get syncUrl(): string {
    return `ws://127.0.0.1:${this.port}/sync`
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  private accept(client: net.Socket): void {
    this.track(client)
    client.pause()
    client.on('error', () => client.destroy())
    this.connect(client, 0)
  }

  private connect(client: net.Socket, attempt: number): void {
    if (attempt >= this.backends.length || client.destroyed) {
      client.destroy()
      return
    }
    const port = this.backends[this.next++ % this.backends.length] as number
    const backend = net.connect({ host: '127.0.0.1', port })
    this.track(backend)
    backend.once('error', () => {
      backend.destroy()
      if (!connected) this.connect(client, attempt + 1)
      else client.destroy()
    })
    let connected = false
    backend.once('connect', () => {
      connected = true
      this.routed.push(port)
      client.pipe(backend)
      backend.pipe(client)
      client.resume()
      client.once('close', () => backend.destroy())
      backend.once('close', () => client.destroy())
    })
  }
}
