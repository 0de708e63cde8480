// Compiles the relay for production: one ES module per entry point in dist/, with the workspace
// packages (@collab/*, TypeScript sources) inlined and every other package left to node_modules.
// `pnpm start` runs the result with plain node: no TypeScript loader in the serving process (it
// costs ~45 MiB of RSS for its hooks thread and gives every named closure a `name` property).
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const RELAY_DIR = fileURLToPath(new URL('..', import.meta.url))
/** Entry points (relative to the relay package) and their names in dist/, all at one depth like src/. */
const ENTRY_POINTS = [
  { in: 'src/server.ts', out: 'server' },
  { in: 'src/auth/token-cli.ts', out: 'token-cli' },
]

/** Bundles the relay into `outdir` (default: apps/relay/dist). */
export async function buildRelay(outdir = `${RELAY_DIR}dist`): Promise<void> {
  await build({
    absWorkingDir: RELAY_DIR,
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [
      {
        name: 'node-modules-external',
        setup(context) {
          // Bare imports stay imports, except our own packages, which only exist as sources.
          context.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@collab/') ? undefined : { external: true }))
        },
      },
    ],
  })
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await buildRelay()
