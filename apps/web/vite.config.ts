import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { serviceWorkerPlugin } from './build/service-worker-plugin.ts'

const relayUrl = process.env['RELAY_URL'] ?? 'http://127.0.0.1:8080'

export default defineConfig({
  // Vite 8 transforms TSX with Oxc itself; no React plugin needed (no fast refresh in dev).
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: {
    // Two copies of Yjs break `instanceof` checks between y-prosemirror and the sync client
    // ("Yjs was already imported"); one copy of each ProseMirror core package for the same reason.
    dedupe: ['yjs', 'y-protocols', 'prosemirror-model', 'prosemirror-state', 'prosemirror-view'],
  },
  server: {
    proxy: {
      '/sync': { target: relayUrl, ws: true, changeOrigin: true },
      '/api': { target: relayUrl, changeOrigin: true },
    },
  },
  build: {
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  plugins: [serviceWorkerPlugin({ entry: fileURLToPath(new URL('./src/sw/sw.ts', import.meta.url)) })],
})
