// `pnpm start` as an operator's process manager runs it: the signal goes to pnpm, not to the
// relay. pnpm forwards it to its child only; a `sh -c` in between (any script with `&&`) dies
// without passing it on, which left the relay running orphaned, holding its port and skipping
// its shutdown flush. The start scripts `exec` into the next step so that pnpm's child is the relay.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { processListensOn } from './port-owner'
import { repoRoot } from './relay-process'
import { freePort, httpGet, waitFor } from './support'

const relayDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function startScript(packageDir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { scripts?: { start?: string } }
  return manifest.scripts?.start ?? ''
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await httpGet(url, 1_000)).status === 200
  } catch {
    return false
  }
}

describe('pnpm start', () => {
  // The root script's first step builds the web app when needed (too slow to run here); its last
  // step must hand the process over to the relay's script, which the test below runs for real.
  it("at the repository root ends by exec'ing the relay's start", () => {
    expect(startScript(repoRoot)).toMatch(/&& exec pnpm --filter @collab\/relay run start$/)
  })

  it('of the relay stops the relay gracefully when pnpm gets SIGTERM', { timeout: 90_000 }, async () => {
    const port = await freePort()
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'relay-start-'))
    const pnpm = spawn('pnpm', ['run', 'start'], {
      cwd: relayDir,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    pnpm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    pnpm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const pnpmExited = new Promise<void>((resolve) => pnpm.once('exit', () => resolve()))
    let relayPid: number | null = null
    try {
      await waitFor(() => answers(`http://127.0.0.1:${port}/readyz`), { timeoutMs: 60_000, message: () => `the relay ready on ${port}\n${output}` })
      relayPid = Number(/"pid":(\d+)/.exec(output)?.[1] ?? NaN)
      expect(Number.isInteger(relayPid), `a pid in the relay's log\n${output}`).toBe(true)
      expect(relayPid).not.toBe(pnpm.pid)
      expect(processListensOn(relayPid, port)).not.toBe(false)

      pnpm.kill('SIGTERM')
      await pnpmExited
      await waitFor(() => !(processListensOn(relayPid as number, port) ?? false) && output.includes('"msg":"relay stopped"'), {
        timeoutMs: 20_000,
        message: () => `relay ${relayPid} to stop after pnpm got SIGTERM\n${output}`,
      })
      expect(output).toContain('shutting down: flushing rooms')
      expect(await answers(`http://127.0.0.1:${port}/healthz`)).toBe(false)
    } finally {
      pnpm.kill('SIGKILL')
      if (relayPid !== null && Number.isInteger(relayPid)) {
        try {
          process.kill(relayPid, 'SIGKILL')
        } catch {
          // Already gone: what the test expects.
        }
      }
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
