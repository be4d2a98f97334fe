// The example scripts in routeros-scripts/ must match what the renderers produce.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { EXAMPLE_OPTIONS, renderImporterScript } from '../src/routeros/script/importer.js'
import { renderSetupScript } from '../src/routeros/script/setup.js'

const read = (name: string): string => readFileSync(new URL(`../routeros-scripts/${name}`, import.meta.url), 'utf8')

t.test('example scripts are up to date', async (t) => {
  const hint = 'run npm run build && node scripts/render-routeros-examples.mjs'
  t.equal(read('knocklist-setup.example.rsc'), renderSetupScript(EXAMPLE_OPTIONS), `setup example (${hint})`)
  t.equal(read('knocklist-importer.example.rsc'), renderImporterScript(EXAMPLE_OPTIONS), `importer example (${hint})`)
})
