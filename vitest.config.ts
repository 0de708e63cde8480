import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/relay', 'apps/web', 'bench'],
    exclude: [...configDefaults.exclude, '**/.scratch/**'],
  },
})
