// Compiles the relay for production: one ES module per entry point in dist/, with everything it
// imports inlined (our workspace packages and the npm packages alike) except EXTERNAL_PACKAGES.
// `pnpm start` runs the result with plain node: no TypeScript loader in the serving process (it
// costs ~45 MiB of RSS for its hooks thread and gives every named closure a `name` property), and
// no module resolution at start (one file instead of some 450 under node_modules).
import { build, type Metafile } from 'esbuild'
import { fileURLToPath } from 'node:url'

const RELAY_DIR = fileURLToPath(new URL('..', import.meta.url))
/** Entry points (relative to the relay package) and their names in dist/, all at one depth like src/. */
const ENTRY_POINTS = [
  { in: 'src/server.ts', out: 'server' },
  { in: 'src/auth/token-cli.ts', out: 'token-cli' },
]

/**
 * Packages the bundle loads from node_modules at run time instead of inlining:
 * - `better-sqlite3`: a native addon, which finds its `.node` file from its own directory;
 * - `pg`, `ioredis`: imported only when DATABASE_URL / REDIS_URL is set, so a relay on SQLite
 *   never parses them;
 * - `bufferutil`, `utf-8-validate`: optional native helpers `ws` tries to load (not installed).
 * Each of these is resolved next to dist/ (the first three are the relay's own dependencies).
 */
export const EXTERNAL_PACKAGES = ['better-sqlite3', 'pg', 'ioredis', 'bufferutil', 'utf-8-validate'] as const

/**
 * The bundled CommonJS packages call `require` for Node's built-in modules (and ws for its optional
 * helpers); in an ES module that binding does not exist, so the bundle defines it first.
 */
const REQUIRE_SHIM = "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);"

/** Bundles the relay into `outdir` (default: apps/relay/dist); returns what went into each file. */
export async function buildRelay(outdir = `${RELAY_DIR}dist`): Promise<Metafile> {
  const result = await build({
    absWorkingDir: RELAY_DIR,
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...EXTERNAL_PACKAGES],
    banner: { js: REQUIRE_SHIM },
    // V8 keeps every script's source in the heap; without indentation, line breaks and comments
    // it is 1.8 instead of 2.8 MB. Names stay as written (no identifier minification), so stack
    // traces still name their functions; `node --enable-source-maps` maps their positions back
    // to the sources through the linked map.
    minifyWhitespace: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    metafile: true,
  })
  return result.metafile
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await buildRelay()
