import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { fileURLToPath } from 'node:url'
import { loadConfigFile } from '../src/config/load.js'

// No Docker engine runs on the test machines, so the Dockerfile is checked
// as text: what it copies exists, and the image is built the way the README
// promises.
const root = new URL('../', import.meta.url)
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/)
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') }
  })

t.test('every instruction is known', async (t) => {
  const known = new Set(['FROM', 'RUN', 'COPY', 'WORKDIR', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'ARG', 'LABEL'])
  for (const instruction of instructions) t.ok(known.has(instruction.keyword), `${instruction.keyword} is a Dockerfile instruction`)
})

t.test('base images are pinned to a Node major', async (t) => {
  const bases = instructions.filter((instruction) => instruction.keyword === 'FROM')
  t.ok(bases.length >= 1, 'has a FROM')
  for (const base of bases) t.match(base.args, /^node:20-[a-z]+-slim/, `${base.args} pins node 20`)
})

t.test('copied files exist in the repository', async (t) => {
  const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').map((line) => line.trim()).filter(Boolean)
  for (const copy of instructions.filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.startsWith('--from'))) {
    const sources = copy.args.split(/\s+/).slice(0, -1)
    for (const source of sources) {
      t.ok(existsSync(new URL(source, root)), `${source} exists`)
      t.notOk(ignored.includes(source.split('/')[0]!), `${source} is not excluded by .dockerignore`)
    }
  }
})

t.test('runs as non-root with a volume and a health check', async (t) => {
  const users = instructions.filter((instruction) => instruction.keyword === 'USER')
  t.ok(users.length > 0 && users.at(-1)!.args !== 'root' && users.at(-1)!.args !== '0', 'the final user is not root')
  t.ok(instructions.some((instruction) => instruction.keyword === 'VOLUME' && instruction.args.includes('/data')), 'data in a volume')
  const health = instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK')
  t.match(health?.args, '/healthz', 'HEALTHCHECK calls /healthz')
  t.match(instructions.find((instruction) => instruction.keyword === 'EXPOSE')?.args, '8080', 'exposes 8080')
})

t.test('container config listens on all interfaces and keeps data in the volume', async (t) => {
  const config = parse(readFileSync(new URL('docker/knocklist.yaml', root), 'utf8')) as { server: { host: string; port: number }; dataDir: string }
  t.equal(config.server.host, '0.0.0.0', 'listens on every interface inside the container')
  t.equal(config.dataDir, '/data', 'data in /data')
  t.match(dockerfile, 'docker/knocklist.yaml', 'the image ships that config')
  t.doesNotThrow(() => loadConfigFile(fileURLToPath(new URL('docker/knocklist.yaml', root)), {}), 'the container config is valid')
})
