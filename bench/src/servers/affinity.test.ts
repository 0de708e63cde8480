import { execFileSync, spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { TSX_LOADER_URL } from '../paths'

const tasksetWorks = spawnSync('taskset', ['-p', String(process.pid)]).status === 0
const affinityModule = fileURLToPath(new URL('./affinity.ts', import.meta.url))

describe('everyCore', () => {
  // The bench pins itself to the load core before scenario 7 launches the browsers: asked from a
  // pinned process, the answer must still be every core, or the browsers share the server's core.
  it.skipIf(!tasksetWorks || cpus().length < 2)('names every core even from a process pinned to one', () => {
    const script = `import(${JSON.stringify(affinityModule)}).then((m) => console.log(m.everyCore()))`
    const output = execFileSync('taskset', ['-c', '1', process.execPath, '--import', TSX_LOADER_URL, '-e', script], { encoding: 'utf8' })
    expect(output.trim()).toBe(`0-${cpus().length - 1}`)
  })
})
