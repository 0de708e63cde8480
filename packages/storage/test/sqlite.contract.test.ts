import { join } from 'node:path'
import { SqliteDocStore } from '../src/index'
import { runDocStoreContract } from './contract'
import { makeTempDir, removeDir } from './temp-dir'

runDocStoreContract('SQLite', async (options) => {
  const root = makeTempDir()
  // A data dir that does not exist yet: the store must create it.
  const dataDir = join(root, 'data')
  const open = () => SqliteDocStore.open({ dataDir, ...options })
  return {
    store: open(),
    reopen: async () => open(),
    cleanup: async () => removeDir(root),
  }
})
