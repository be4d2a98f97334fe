// Quoting of text embedded in generated RouterOS scripts.
//
// RouterOS reads `$name`, `$(expr)` and `$[cmd]` inside double-quoted strings,
// a terminal treats `?` as a help request, and outside a string `[ ]`, `{ }`,
// `;`, `#` and a trailing `\` change what runs. Only letters, digits, space
// and a few inert punctuation characters are written as they are. Every other
// byte of the UTF-8 encoding becomes `\HH` with two uppercase hex digits (the
// only form RouterOS accepts), except `"`, `\` and `$`, which get their
// one-character escapes. The result is one ASCII line that ends exactly at its
// closing quote whatever the input was.

const PLAIN_BYTES = new Set(
  Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_.,:/=+*@%!&|()<>~^', (character) =>
    character.charCodeAt(0),
  ),
)

const SHORT_ESCAPES = new Map<number, string>([
  [0x22, '\\"'],
  [0x5c, '\\\\'],
  [0x24, '\\$'],
])

const utf8 = new TextEncoder()
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Returns `text` as a RouterOS double-quoted string literal, quotes included.
 * Raises a TypeError for a string with unpaired UTF-16 surrogates, which have
 * no UTF-8 encoding and would otherwise reach the router altered.
 */
export function quoteRouterOsString(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`expected a string to quote for RouterOS, got ${typeof text}`)
  if (LONE_SURROGATE.test(text)) throw new TypeError('text to quote for RouterOS contains an unpaired UTF-16 surrogate')

  let quoted = '"'
  for (const byte of utf8.encode(text)) {
    if (PLAIN_BYTES.has(byte)) quoted += String.fromCharCode(byte)
    else quoted += SHORT_ESCAPES.get(byte) ?? `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return `${quoted}"`
}
