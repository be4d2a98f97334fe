import { connect, createServer, type Server, type Socket } from 'node:net'

// A TCP relay in front of the emulator that a test can unplug and plug back
// in on the same port: unplugged, connections are refused, as when a router
// is down.
export class Relay {
  readonly #target: number
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined
  port = 0

  constructor(targetPort: number) {
    this.#target = targetPort
  }

  async plug(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target, '127.0.0.1')
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.once('close', () => this.#sockets.delete(socket))
        socket.on('error', () => undefined)
      }
      client.pipe(upstream).pipe(client)
      client.once('close', () => upstream.destroy())
      upstream.once('close', () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as { port: number }).port
    this.#server = server
  }

  async unplug(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const socket of this.#sockets) socket.destroy()
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
