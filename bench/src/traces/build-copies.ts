// Child process: builds the given copies of a large document into the cache
// (`build-copies.ts <trace> <index>...`), so two cores share the work on a cold cache.
import { buildCopy } from './workload'
import type { TraceName } from './trace'

const [traceName, ...indices] = process.argv.slice(2)
for (const index of indices) buildCopy(traceName as TraceName, Number(index))
