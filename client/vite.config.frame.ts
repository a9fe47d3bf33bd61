import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { defineConfig, type Plugin } from 'vite'

// The output frame's script (src/frame/), built as one classic script: the frame has an
// opaque origin, and a classic script needs no CORS to load from it. Beside it, the
// renderers the frame loads when an output needs them, copied as their packages ship them
// (their package.json exports hide these files: read from node_modules/).
// `pairbook serve` serves this folder at /output-frame/ (server/pairbook/app/outputframe.py).
const RENDERERS: Record<string, string> = {
  'plotly.min.js': 'plotly.js-dist-min/plotly.min.js',
  'vega.min.js': 'vega/build/vega.min.js',
  'vega-lite.min.js': 'vega-lite/build/vega-lite.min.js',
  'vega-embed.min.js': 'vega-embed/build/vega-embed.min.js'
}

function copyRenderers(): Plugin {
  return {
    name: 'pairbook-frame-renderers',
    generateBundle() {
      for (const [fileName, module] of Object.entries(RENDERERS)) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(fileURLToPath(new URL(`node_modules/${module}`, import.meta.url))) })
      }
    }
  }
}

export default defineConfig({
  plugins: [copyRenderers()],
  build: {
    outDir: '../server/pairbook/static/frame',
    emptyOutDir: true,
    sourcemap: false,
    lib: {
      entry: 'src/frame/main.ts',
      formats: ['iife'],
      name: 'pairbookOutputFrame',
      fileName: () => 'frame.js'
    }
  }
})
