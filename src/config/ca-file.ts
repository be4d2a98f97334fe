import { readFileSync } from 'node:fs'

// Reads a router's CA file: PEM text with at least one certificate. Raises
// an Error whose message names the file and the fix. The message contains
// nothing of the file's content, because a wrong path may point at a secret.
export function readCaFile(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`
    throw new Error(`CA file ${JSON.stringify(file)} ${reason}; put the PEM file of the CA that signed the router certificate there, or pin the fingerprint instead`)
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`CA file ${JSON.stringify(file)} contains no PEM certificate ("-----BEGIN CERTIFICATE-----"); export the CA certificate in PEM form`)
  }
  return text
}

// Returns the problem with a CA file, or undefined when it is usable.
export function caFileProblem(file: string): string | undefined {
  try {
    readCaFile(file)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
