#!/usr/bin/env node
// Renders the example RouterOS setup and importer scripts in routeros-scripts/
// from the compiled renderers, for an example knoc.
//
// Usage: npm run build && node scripts/render-routeros-examples.mjs [DIST_DIR]
// DIST_DIR defaults to dist/, the output of `npm run build`.
import { writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = resolve(process.argv[2] ?? join(root, 'dist'))
const { renderSetupScript } = await import(pathToFileURL(join(dist, 'routeros/script/setup.js')).href)
const { renderImporterScript } = await import(pathToFileURL(join(dist, 'routeros/script/importer.js')).href)
const { EXAMPLE_OPTIONS } = await import(pathToFileURL(join(dist, 'routeros/script/importer.js')).href)

const outputs = {
  'knocklist-setup.example.rsc': renderSetupScript(EXAMPLE_OPTIONS),
  'knocklist-importer.example.rsc': renderImporterScript(EXAMPLE_OPTIONS),
}
for (const [name, text] of Object.entries(outputs)) {
  writeFileSync(join(root, 'routeros-scripts', name), text)
  console.log(`wrote routeros-scripts/${name}`)
}
