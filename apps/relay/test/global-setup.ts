// Once per test run: build the relay as `pnpm start` ships it, so the process and fuzz suites
// exercise dist/server.js (the bundle), not only the sources.
import { buildRelay } from '../scripts/build'

export async function setup(): Promise<void> {
  await buildRelay()
}
