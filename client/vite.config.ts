import { defineConfig } from 'vitest/config'

// Builds into the Python package's static files; `pairbook serve` serves index.html for
// `/` and `/notebooks/*`, and this folder's `assets/` at `/assets/*`.
// `npm run dev` proxies the API and the rooms to a running server (PAIRBOOK_URL).
const server = process.env.PAIRBOOK_URL ?? 'http://127.0.0.1:8888'

export default defineConfig({
  base: '/',
  build: {
    outDir: '../server/pairbook/static',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1200
  },
  server: {
    proxy: {
      '/api': server,
      '/output-frame': server,
      '/rooms': { target: server.replace(/^http/, 'ws'), ws: true }
    }
  },
  test: {
    // The JupyterLab extension's panel view models are built from this client's pure
    // modules (runs, mobState, kernelView): their tests run with the client's.
    include: ['test/**/*.test.ts', '../jupyterlab/test/panels/**/*.test.ts'],
    environment: 'node'
  }
})
