// The redirect bridge: one HTML page and one script, built into static/ before the main build
// so SvelteKit copies it as a plain file (no route uses its name: PROVEN.md, SvelteKit SPA).
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))
// Old hashed scripts would pile up in static/ (the out dir is not emptied: it holds favicon.svg).
rmSync(fileURLToPath(new URL('../static/redirect-bridge-assets', import.meta.url)), {
  recursive: true,
  force: true,
})

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../static', import.meta.url)),
    emptyOutDir: false,
    modulePreload: false,
    assetsDir: 'redirect-bridge-assets',
    rollupOptions: { input: { 'redirect-bridge': fileURLToPath(new URL('redirect-bridge.html', import.meta.url)) } },
  },
})
