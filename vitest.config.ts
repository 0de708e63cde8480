import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/relay', 'apps/web'],
    exclude: [...configDefaults.exclude, '**/.scratch/**'],
  },
})
