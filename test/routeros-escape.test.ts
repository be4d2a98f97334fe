// Text quoted for a RouterOS script must read back as exactly the original
// text and must never end the string early, substitute or run anything.
import fc from 'fast-check'
import t from 'tap'
import { quoteRouterOsString } from '../src/routeros/script/escape.js'
import { ManualClock } from './fixtures/routeros/address-list.js'
import { RouterOsInterpreter } from './fixtures/routeros-interpreter/interpreter.js'
import { fromByteString } from './fixtures/routeros-interpreter/parse.js'

// Pastes `:global klValue <quoted>` and returns what the variable holds, with
// the steps, log lines and output the paste produced.
async function readBack(text: string): Promise<{ value: string | undefined; steps: number; logs: number; output: number }> {
  const router = new RouterOsInterpreter({ clock: new ManualClock() })
  await router.paste(`:global klValue ${quoteRouterOsString(text)}`)
  const value = router.globals.get('klValue')
  return {
    value: value?.type === 'str' ? fromByteString(value.value) : undefined,
    steps: router.steps,
    logs: router.logs.length,
    output: router.output.length,
  }
}

const hostile: Array<[string, string]> = [
  ['double quote', 'a"b'],
  ['string end and command', '"; /system reset-configuration; :put "'],
  ['variable', '$klValue'],
  ['expression substitution', '$(1 + 1)'],
  ['command substitution in string', '$[:log warning pwned]'],
  ['command substitution', '[:log warning pwned]'],
  ['braces', '{ :log warning pwned }'],
  ['semicolon', 'a;b'],
  ['hash', '#comment'],
  ['question mark', 'help?'],
  ['single quote', "it's"],
  ['backslashes', '\\\\n \\" \\$ \\'],
  ['trailing backslash', 'line\\'],
  ['newline', 'one\ntwo'],
  ['carriage return', 'one\r\ntwo'],
  ['NUL', 'a\u0000b'],
  ['control bytes', Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join('') + '\u007f'],
  ['non-ASCII', 'é ü ñ 日本 🔑'],
  ['empty', ''],
  ['long', `${'a"$[;]#\\\n'.repeat(10_000)}end`],
]

for (const [name, text] of hostile) {
  t.test(`quoted ${name} reads back unchanged`, async (t) => {
    const quoted = quoteRouterOsString(text)
    t.match(quoted, /^"[\x20-\x7e]*"$/, 'one line of printable ASCII in quotes')
    t.notMatch(quoted.slice(1, -1).replace(/\\["\\$]|\\[0-9A-F]{2}/g, ''), /["\\$[\]{};#?]/, 'no special character left unescaped')
    const result = await readBack(text)
    t.equal(result.value, text)
    t.equal(result.steps, 1, 'only the :global ran')
    t.equal(result.logs, 0, 'nothing logged')
    t.equal(result.output, 0, 'nothing printed')
  })
}

t.test('hex escapes are uppercase', async (t) => {
  t.equal(quoteRouterOsString('\n\u00ff'), '"\\0A\\C3\\BF"')
  t.equal(quoteRouterOsString('"\\$'), '"\\"\\\\\\$"')
  t.equal(quoteRouterOsString('Ab1 -_.,:/=+*@%!&|()<>~^'), '"Ab1 -_.,:/=+*@%!&|()<>~^"', 'safe characters stay as they are')
})

t.test('unpaired surrogate rejected', async (t) => {
  t.throws(() => quoteRouterOsString('a\ud800b'), TypeError)
  t.throws(() => quoteRouterOsString('\udc00'), TypeError)
})

t.test('random text reads back unchanged', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 64 }), async (text) => {
      const result = await readBack(text)
      return result.value === text && result.steps === 1
    }),
    { numRuns: 300 },
  )
  t.pass('300 random strings read back unchanged')
})
