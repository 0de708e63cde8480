// `pnpm --filter @collab/relay run token -- --doc <id|pattern> --role write --ttl 1h`
// Mints an access token with AUTH_SECRET (from the environment) and prints it on stdout.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MIN_AUTH_SECRET_LENGTH, mintAccessToken, type AccessRole } from './access-token'

const USAGE = `Usage: pnpm --filter @collab/relay run token -- --doc <id|pattern> [--doc …] [--role read|write] [--ttl 1h]

Prints an access token for the relay, signed with AUTH_SECRET (HS256; at least ${MIN_AUTH_SECRET_LENGTH} characters).
  --doc   a document id, "*" (every document) or a prefix ending in "*" ("team-*"); repeatable
  --role  read (receive only) or write; default read
  --ttl   lifetime: a number with s, m, h or d (default 1h)
Clients pass it as the query parameter "token" (y-websocket: params: { token }).
`

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 }

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds; null when unreadable. */
export function parseTtlSeconds(raw: string): number | null {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim())
  if (match === null) return null
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null
}

export interface TokenRequest {
  docs: string[]
  role: AccessRole
  ttlSeconds: number
}

/** Parses the CLI arguments; throws an Error whose message is meant for the user. */
export function parseTokenArgs(argv: readonly string[]): TokenRequest | 'help' {
  const docs: string[] = []
  let role: AccessRole = 'read'
  let ttlSeconds = 3_600
  const args = argv[0] === '--' ? argv.slice(1) : [...argv]
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--help' || arg === '-h') return 'help'
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = inline ?? args[++i]
    if (value === undefined) throw new Error(`${flag} needs a value`)
    switch (flag) {
      case '--doc':
        docs.push(...value.split(',').map((doc) => doc.trim()).filter(Boolean))
        break
      case '--role':
        if (value !== 'read' && value !== 'write') throw new Error(`--role must be read or write, not ${JSON.stringify(value)}`)
        role = value
        break
      case '--ttl': {
        const parsed = parseTtlSeconds(value)
        if (parsed === null) throw new Error(`--ttl must look like 90s, 15m, 1h or 7d, not ${JSON.stringify(value)}`)
        ttlSeconds = parsed
        break
      }
      default:
        throw new Error(`Unknown option ${JSON.stringify(flag)}`)
    }
  }
  if (docs.length === 0) throw new Error('--doc is required')
  return { docs, role, ttlSeconds }
}

async function main(): Promise<void> {
  let request: TokenRequest | 'help'
  try {
    request = parseTokenArgs(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`token: ${(error as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (request === 'help') {
    process.stdout.write(USAGE)
    return
  }
  const secret = process.env['AUTH_SECRET'] ?? ''
  if (secret.length < MIN_AUTH_SECRET_LENGTH) {
    process.stderr.write(`token: set AUTH_SECRET (at least ${MIN_AUTH_SECRET_LENGTH} characters), the same value the relay uses\n`)
    process.exit(2)
  }
  try {
    process.stdout.write(`${await mintAccessToken(secret, request)}\n`)
  } catch (error) {
    process.stderr.write(`token: ${(error as Error).message}\n`)
    process.exit(2)
  }
}

// Runs only as a script, so tests can import the parsers.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main()
