// Builds the admin web interface into dist/ui: bundles ui/src/main.ts into
// app.js with esbuild and copies the page and its style sheet beside it.
// src/http/routes/ui.ts serves the result at /ui/.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../', import.meta.url))
const outDir = `${root}dist/ui`

rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })

await build({
  entryPoints: [`${root}ui/src/main.ts`],
  outfile: `${outDir}/app.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // ES2022 syntax runs in the current releases of the major browsers.
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
})

for (const file of ['index.html', 'styles.css']) copyFileSync(`${root}ui/${file}`, `${outDir}/${file}`)
