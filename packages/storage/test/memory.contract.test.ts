// The DocStore contract on the in-memory adapter. It has no reopen (nothing outlives close), so
// the reopen cases skip.
import { MemoryDocStore } from '../src/index'
import { runDocStoreContract } from './contract'

runDocStoreContract('memory', async (options) => ({
  store: new MemoryDocStore(options),
  cleanup: async () => undefined,
}))
