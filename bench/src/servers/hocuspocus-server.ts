// Hocuspocus as people run it out of the box: in-memory (no extensions), quiet, one process.
// HOST and PORT come from the environment, like the other servers the bench starts.
import { Server } from '@hocuspocus/server'

const port = Number(process.env.PORT ?? '1234')
const address = process.env.HOST ?? '127.0.0.1'

const server = new Server({ port, address, quiet: true, stopOnSignals: true })
await server.listen()
process.stdout.write(`hocuspocus listening on ${address}:${port}\n`)
