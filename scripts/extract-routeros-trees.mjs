#!/usr/bin/env node
// Extracts the parts of a RouterOS `/console/inspect` command tree that the
// generated RouterOS scripts use, into test/fixtures/routeros-trees/<version>.json.
//
// Usage: node scripts/extract-routeros-trees.mjs PATH/TO/<version>.json [...]
// Input: the restraml project's docs/<version>/inspect.json (public domain).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Menus the setup, importer and `.rsc` scripts call into.
const MENUS = [
  'tool/fetch',
  'ip/firewall/address-list',
  'ipv6/firewall/address-list',
  'system/script',
  'system/scheduler',
  'log',
]

// Script commands the scripts use, plus later additions and commands the
// scripts must avoid, so tests can show where each one is missing.
const SCRIPT_COMMANDS = [
  'do', 'if', 'for', 'foreach', 'while', 'local', 'global', 'set', 'put', 'find', 'pick', 'len', 'tonum', 'toip',
  'toip6', 'typeof', 'tostr', 'totime', 'toarray', 'return', 'error', 'nothing', 'delay',
  'onerror', 'jobname', 'deserialize', 'parse', 'execute', 'import',
]

const outputDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'routeros-trees')

function extract(tree) {
  const result = {}
  for (const menu of MENUS) {
    const parts = menu.split('/')
    let source = tree
    let target = result
    for (const [index, part] of parts.entries()) {
      source = source?.[part]
      if (source === undefined) throw new Error(`menu ${menu} not found in the tree`)
      if (index === parts.length - 1) {
        target[part] = source
      } else {
        target[part] ??= { _type: source._type }
        target = target[part]
      }
    }
  }
  for (const command of SCRIPT_COMMANDS) {
    if (tree[command] !== undefined) result[command] = tree[command]
  }
  return result
}

const inputs = process.argv.slice(2)
if (inputs.length === 0) {
  console.error('usage: node scripts/extract-routeros-trees.mjs PATH/TO/<version>.json [...]')
  process.exit(2)
}
mkdirSync(outputDir, { recursive: true })
for (const input of inputs) {
  const version = basename(input, '.json')
  if (!/^\d+(\.\d+)+$/.test(version)) {
    console.error(`${input}: the file name must be the RouterOS version, such as 7.16.json`)
    process.exit(2)
  }
  const tree = JSON.parse(readFileSync(input, 'utf8'))
  const output = join(outputDir, `${version}.json`)
  writeFileSync(output, `${JSON.stringify(extract(tree), null, 1)}\n`)
  console.log(`wrote ${output}`)
}
