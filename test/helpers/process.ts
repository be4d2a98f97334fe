import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const cliPath = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  url: string
  stdout(): string
  stderr(): string
  // Resolves with the exit code or signal once the process has ended.
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

// Starts `knocklist serve` from the built CLI and waits for its start log
// line, which carries the address it listens on.
export async function startServerProcess(t: Test, options: { cwd: string; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  const child = spawn(process.execPath, [cliPath, 'serve', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, KNOCKLIST_TOKEN: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return exited
  })

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`knocklist did not start within 15 s; stderr: ${stderr}`)), 15_000)
    const check = () => {
      for (const line of stdout.split('\n')) {
        if (!line.includes('"knocklist started"')) continue
        clearTimeout(timer)
        resolve((JSON.parse(line) as { address: string }).address)
        return
      }
    }
    child.stdout!.on('data', check)
    exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`knocklist exited before starting; stderr: ${stderr}`))
    })
  })
  return { child, url, stdout: () => stdout, stderr: () => stderr, exited }
}

// Runs the CLI to completion and returns its output and exit status.
export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}
