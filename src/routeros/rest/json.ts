/**
 * Parses JSON from a router, escaping raw control characters (U+0000 to
 * U+001F) inside string values first. RouterOS has been seen returning an
 * unescaped ESC inside a comment, which a strict parser rejects. Throws
 * SyntaxError for text that is invalid JSON even after escaping.
 */
export function parseRouterJson(text: string): unknown {
  return JSON.parse(escapeControlCharactersInStrings(text));
}

function escapeControlCharactersInStrings(text: string): string {
  // Fast path: nothing to escape.
  if (!/[\u0000-\u001f]/.test(text)) return text;

  let output = '';
  let inString = false;
  let escaped = false;
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (inString && codePoint < 0x20) {
      output += `\\u${codePoint.toString(16).padStart(4, '0')}`;
      escaped = false;
      continue;
    }

    output += character;
    if (!inString) {
      if (character === '"') inString = true;
    } else if (escaped) {
      escaped = false;
    } else if (character === '\\') {
      escaped = true;
    } else if (character === '"') {
      inString = false;
    }
  }
  return output;
}
