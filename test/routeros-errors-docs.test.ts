// The RouterOS error catalogue and docs/errors stay in step: every code has a
// page and an index row, and every page belongs to a code.
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { errorDocsPath, ROUTER_ERRORS, RouterError, RouterErrorCode } from '../src/routeros/errors.js';

const DOCS_DIRECTORY = new URL('../docs/errors/', import.meta.url);
const catalogueCodes = Object.keys(ROUTER_ERRORS).map(Number).sort();
const pageCodes = readdirSync(DOCS_DIRECTORY)
  .filter((file) => file !== 'README.md')
  .map((file) => {
    const match = /^(\d+)\.md$/.exec(file);
    return match ? Number(match[1]) : file;
  });

t.test('every code has a page', async (t) => {
  for (const code of catalogueCodes) t.ok(pageCodes.includes(code), `docs/errors/${code}.md exists`);
});

t.test('every page has a code', async (t) => {
  for (const page of pageCodes) t.ok(typeof page === 'number' && catalogueCodes.includes(page), `docs/errors/${page} belongs to a catalogue code`);
});

t.test('pages have the four sections', async (t) => {
  for (const code of catalogueCodes) {
    const text = readFileSync(new URL(`${code}.md`, DOCS_DIRECTORY), 'utf8');
    t.match(text, new RegExp(`^# ${code}: `), `${code} title names the code`);
    for (const section of ['## What it means', '## Likely causes', '## How to check on the router', '## How to fix']) {
      t.ok(text.includes(section), `${code} has "${section}"`);
    }
    t.match(text, /`\/[a-z]/, `${code} gives a RouterOS command to check with`);
  }
});

t.test('index lists every code once', async (t) => {
  const index = readFileSync(new URL('README.md', DOCS_DIRECTORY), 'utf8');
  for (const code of catalogueCodes) {
    const rows = index.split('\n').filter((line) => line.startsWith(`| [${code}](${code}.md) |`));
    t.equal(rows.length, 1, `${code} has one index row`);
  }
});

t.test('codes stay inside their ranges', async (t) => {
  for (const code of catalogueCodes) {
    const inRange = (code >= 208000 && code <= 208049) || (code >= 208100 && code <= 208149) || (code >= 208400 && code <= 208449);
    t.ok(inRange, `${code} is inside a documented range`);
  }
  const fixed = [208001, 208002, 208003, 208004, 208005, 208006, 208007, 208008, 208101, 208102, 208103, 208104, 208401, 208402];
  for (const code of fixed) t.ok(catalogueCodes.includes(code), `fixed code ${code} is in the catalogue`);
});

t.test('error names its page and code constant', async (t) => {
  t.equal(RouterErrorCode.ENTRY_EXISTS, 208105);
  t.equal(RouterErrorCode.AUTHENTICATION_FAILED, 208001);
  const error = new RouterError({ code: 208007, router: 'edge1', method: 'GET', path: '/rest/system/resource' });
  t.equal(error.docs, errorDocsPath(208007));
  t.equal(error.docs, 'docs/errors/208007.md');
  t.equal(error.area, 'connection');
  t.match(error.message, /docs\/errors\/208007\.md/);
});
