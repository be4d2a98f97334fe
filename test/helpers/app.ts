import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Clock } from '../../src/clock.js'
import { parseConfig } from '../../src/config/load.js'
import { buildApp } from '../../src/http/app.js'
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js'

export const adminToken = 'test-admin-token-0123456789'
export const feedPassword = 'test-feed-password'

export function temporaryDirectory(t: Test, prefix = 'knocklist-test-'): string {
  const directory = mkdtempSync(path.join(tmpdir(), prefix))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}

export interface TestApp {
  app: FastifyInstance
  runtime: Runtime
  dataDir: string
  auth: { authorization: string }
  feedAuth(password?: string, username?: string): { authorization: string }
}

// Builds the app around a temporary data folder and a config object, with an
// admin token and a demo knoc unless the config sets its own.
export async function buildTestApp(t: Test, config: Record<string, unknown> = {}, options: { clock?: Clock; dataDir?: string; runtime?: Partial<RuntimeOptions> } = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? temporaryDirectory(t)
  const parsed = parseConfig(
    {
      adminTokens: [{ name: 'tests', token: adminToken }],
      knocs: [{ name: 'demo', feed: { password: feedPassword } }],
      ...config,
      dataDir,
    },
    { source: 'test', baseDir: dataDir, env: {} },
  )
  const runtime = createRuntime(parsed, {
    usingDefaults: false,
    routerClient: { timeoutMs: 3000, connectTimeoutMs: 1000 },
    routerRetry: { baseMs: 50, maxMs: 300 },
    ...options.runtime,
    ...(options.clock ? { clock: options.clock } : {}),
  })
  const app = await buildApp(runtime.context)
  t.teardown(async () => {
    await app.close()
    await runtime.close()
  })
  return {
    app,
    runtime,
    dataDir,
    auth: { authorization: `Bearer ${adminToken}` },
    feedAuth: (password = feedPassword, username = 'feed') => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }),
  }
}

// Listens on an ephemeral loopback port and returns the base URL, for tests
// that need real HTTP.
export async function listen(testApp: TestApp): Promise<string> {
  return testApp.app.listen({ host: '127.0.0.1', port: 0 })
}

export async function postJson(baseUrl: string, route: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) }
}

export async function getText(baseUrl: string, route: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${route}`, { headers })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

// Polls a condition every 10 ms until it is true or the time runs out.
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// Finds a free loopback port, for a server whose own URL must be in its
// config (publicUrl) before it listens.
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
