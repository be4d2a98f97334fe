// Builds the admin web interface into dist/ui.
import { mkdirSync } from 'node:fs'
mkdirSync(new URL('../dist/ui/', import.meta.url), { recursive: true })
