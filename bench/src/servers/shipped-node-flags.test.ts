import { describe, expect, it } from 'vitest'
import { nodeFlagsOf, shippedRelayNodeFlags, StartScriptError } from './shipped-node-flags'

describe('nodeFlagsOf', () => {
  it('reads the flags between node and dist/server.js', () => {
    expect(nodeFlagsOf('tsx scripts/build.ts && node --max-semi-space-size=4 --trace-gc dist/server.js')).toEqual(['--max-semi-space-size=4', '--trace-gc'])
    expect(nodeFlagsOf('tsx scripts/build.ts && exec node --max-semi-space-size=4 dist/server.js')).toEqual(['--max-semi-space-size=4'])
    expect(nodeFlagsOf('node dist/server.js')).toEqual([])
  })

  it('refuses a start script that does not run dist/server.js with node', () => {
    expect(() => nodeFlagsOf('tsx src/server.ts')).toThrow(StartScriptError)
    expect(() => nodeFlagsOf('node dist/server.js --port 1')).toThrow(/does not end in/)
    expect(() => nodeFlagsOf('node --inspect dist/other.js')).toThrow(StartScriptError)
  })

  it("parses the relay's real start script", () => {
    expect(shippedRelayNodeFlags()).toContain('--max-semi-space-size=4')
  })
})
