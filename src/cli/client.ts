import { readFileSync } from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../config/load.js'
import { adminTokenFileName } from '../secrets.js'

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message)
    this.name = 'CliError'
  }
}

export interface ClientOptions {
  server?: string
  config?: string
}

// Finds the admin token: KNOCKLIST_TOKEN, else the token file in the data
// folder of the config that `serve` would use from this directory.
function findToken(options: ClientOptions): string {
  const fromEnv = process.env.KNOCKLIST_TOKEN
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const { config } = loadConfig({ file: options.config })
  const file = path.join(config.dataDir, adminTokenFileName)
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    throw new CliError(`no admin token: set KNOCKLIST_TOKEN, or run this command where ${file} is readable`)
  }
}

// Calls the running server's admin API and returns the raw reply text; an
// error reply becomes a CliError with the server's code and message.
export async function callApiText(options: ClientOptions, route: string): Promise<string> {
  const { response, text, url } = await request(options, 'GET', route)
  if (!response.ok) throw replyError(response, text, url)
  return text
}

function replyError(response: Response, text: string, url: URL): CliError {
  let error: { code?: string; message?: string } | undefined
  try {
    error = JSON.parse(text) as { code?: string; message?: string }
  } catch {
    return new CliError(`the server at ${url.origin} replied with ${response.status} and a body that is not JSON; is --server pointing at knocklist?`)
  }
  return new CliError(`${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? 'request failed'}`)
}

async function request(options: ClientOptions, method: string, route: string, body?: unknown): Promise<{ response: Response; text: string; url: URL }> {
  const base = options.server ?? (process.env.KNOCKLIST_URL || 'http://127.0.0.1:8080')
  const token = findToken(options)
  let url: URL
  try {
    url = new URL(route, base)
  } catch {
    throw new CliError(`invalid server URL ${JSON.stringify(base)}: use --server http://HOST:PORT`, 2)
  }

  let response: Response
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    throw new CliError(`cannot reach knocklist at ${url.origin} (${cause}); is "knocklist serve" running? Set --server or KNOCKLIST_URL`)
  }
  return { response, text: await response.text(), url }
}

// Calls the running server's admin API and returns the parsed JSON reply;
// an error reply becomes a CliError with the server's code and message.
export async function callApi(options: ClientOptions, method: string, route: string, body?: unknown): Promise<unknown> {
  const { response, text, url } = await request(options, method, route, body)
  if (!response.ok) throw replyError(response, text, url)
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new CliError(`the server at ${url.origin} replied with ${response.status} and a body that is not JSON; is --server pointing at knocklist?`)
  }
}
