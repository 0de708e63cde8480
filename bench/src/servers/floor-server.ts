// The physical floor: a bare `ws` server that does the least any sync server must do and nothing
// else. Per path (document) it forwards updates and awareness to every other socket, answers a
// sync step 1 with the largest sync step 2 a client uploaded (or an empty one), and keeps no
// CRDT. Whatever a real server costs above this is the price of its Y.Doc, validation and storage.
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'

const port = Number(process.env.PORT ?? '1234')
const host = process.env.HOST ?? '127.0.0.1'

interface Room {
  sockets: Set<WebSocket>
  /** The largest sync step 2 frame received, handed to joiners as the document state. */
  stateFrame: Buffer
}

const EMPTY_STEP2_FRAME = Buffer.from([0, 1, 2, 0, 0])
const rooms = new Map<string, Room>()

const http = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' })
  response.end('ok')
})
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })

wss.on('connection', (socket, request) => {
  const name = (request.url ?? '/').split('?')[0] ?? '/'
  let room = rooms.get(name)
  if (room === undefined) {
    room = { sockets: new Set(), stateFrame: EMPTY_STEP2_FRAME }
    rooms.set(name, room)
  }
  const current = room
  current.sockets.add(socket)
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length < 2) return
    const type = data[0]
    const sub = data[1]
    if (type === 0 && sub === 0) socket.send(current.stateFrame)
    else if (type === 0 && sub === 1) {
      if (data.length > current.stateFrame.length) current.stateFrame = data
    } else if (type === 0 || type === 1) {
      for (const other of current.sockets) if (other !== socket) other.send(data)
    }
  })
  socket.on('error', () => socket.terminate())
  socket.once('close', () => {
    current.sockets.delete(socket)
    if (current.sockets.size === 0) rooms.delete(name)
  })
})

http.listen(port, host, () => process.stdout.write(`ws floor listening on ${host}:${port}\n`))
process.once('SIGTERM', () => process.exit(0))
process.once('SIGINT', () => process.exit(0))
