// Every server under test runs as plain JavaScript: a TypeScript loader in the server process
// (tsx registers its hooks on a thread of its own, ~45 MiB of RSS) would blur every memory figure
// and is not how any of them is deployed. Our relay comes from its own production build
// (apps/relay/dist, made by `pnpm bench` before this runs); the bench's own server files — the
// probe loaded into every server, the Hocuspocus host and the floor — are bundled here.
import { build } from 'esbuild'
import { join } from 'node:path'
import { BENCH_DIR } from '../paths'

/** Where the bundled bench servers go (inside the bench package, so their imports resolve). */
export const BUILT_SERVERS_DIR = join(BENCH_DIR, 'dist')

const ENTRY_POINTS = ['probe', 'hocuspocus-server', 'floor-server'].map((name) => ({
  in: join(BENCH_DIR, 'src/servers', `${name}.ts`),
  out: name,
}))

/** The path of a bundled bench server file (`probe`, `hocuspocus-server`, `floor-server`). */
export function builtServer(name: 'probe' | 'hocuspocus-server' | 'floor-server'): string {
  return join(BUILT_SERVERS_DIR, `${name}.js`)
}

export async function buildBenchServers(): Promise<void> {
  await build({
    entryPoints: ENTRY_POINTS,
    outdir: BUILT_SERVERS_DIR,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  })
}
