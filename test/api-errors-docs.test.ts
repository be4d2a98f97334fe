import { readFileSync } from 'node:fs'
import t from 'tap'
import { errorCatalogue } from '../src/errors.js'

const page = readFileSync(new URL('../docs/api-errors.md', import.meta.url), 'utf8')
const documented = new Map([...page.matchAll(/^\| `(KNL_[A-Z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1]!, Number(match[2])]))

t.test('every catalogue code is documented', async (t) => {
  for (const [code, { status }] of Object.entries(errorCatalogue)) {
    t.equal(documented.get(code), status, `${code} has a row with status ${status}`)
  }
})

t.test('every documented code exists', async (t) => {
  for (const code of documented.keys()) {
    t.ok(Object.hasOwn(errorCatalogue, code), `${code} is in the catalogue`)
  }
})
