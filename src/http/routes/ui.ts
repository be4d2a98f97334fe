// Serves the admin web interface at /ui/: the files that scripts/build-ui.mjs
// writes to dist/ui, and the RouterOS troubleshooting pages of docs/errors
// rendered as HTML at /ui/errors/<code>. The interface itself works only
// through the admin API, so nothing here needs the admin token.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { KnocklistError } from '../../errors.js'
import type { AppContext } from '../context.js'

// Both src/http/routes and dist/http/routes sit three levels below the
// package root, so these paths hold from either.
const uiRoot = fileURLToPath(new URL('../../../dist/ui/', import.meta.url))
const errorDocsRoot = new URL('../../../docs/errors/', import.meta.url)

// The page loads only its own script, style sheet and API; nothing inline,
// no frames, no form posts.
export const uiContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

// Pages for browsers are left out of the OpenAPI description of the JSON API,
// as @fastify/static does with the files it serves.
const htmlPage = { hide: true }

// RouterOS error codes are 208000 to 208449; whether a page exists decides the rest.
const errorCodePattern = /^208\d{3}$/

export async function uiRoutes(app: FastifyInstance, _context: AppContext): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Content-Security-Policy', uiContentSecurityPolicy)
    reply.header('X-Content-Type-Options', 'nosniff')
    reply.header('Referrer-Policy', 'no-referrer')
    // Browsers revalidate every file, so a rebuilt interface shows at once.
    reply.header('Cache-Control', 'no-cache')
    return payload
  })

  app.get('/ui', { schema: htmlPage }, async (_request, reply) => reply.redirect('/ui/'))

  await app.register(fastifyStatic, {
    root: uiRoot,
    prefix: '/ui/',
    index: false,
    redirect: false,
    dotfiles: 'deny',
    cacheControl: false,
  })

  app.get('/ui/', { schema: htmlPage }, async (_request, reply) => {
    if (!existsSync(`${uiRoot}/index.html`)) {
      throw new KnocklistError('KNL_NOT_READY', 'the admin web interface is not built; run npm run build, which writes dist/ui')
    }
    return reply.sendFile('index.html')
  })

  app.get('/ui/errors/', { schema: htmlPage }, async (_request, reply) => sendErrorPage(reply, 'README'))

  app.get<{ Params: { code: string } }>('/ui/errors/:code', { schema: htmlPage }, async (request, reply) => {
    const code = request.params.code.replace(/\.md$/, '')
    if (!errorCodePattern.test(code)) {
      throw new KnocklistError('KNL_ROUTE_NOT_FOUND', `no troubleshooting page for ${JSON.stringify(request.params.code)}; RouterOS error codes are six digits such as 208001`)
    }
    return sendErrorPage(reply, code)
  })
}

async function sendErrorPage(reply: FastifyReply, name: string) {
  let markdown: string
  try {
    markdown = await readFile(new URL(`${name}.md`, errorDocsRoot), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new KnocklistError('KNL_ROUTE_NOT_FOUND', `no troubleshooting page for code ${name}; the list of codes is at /ui/errors/`)
  }
  return reply.type('text/html; charset=utf-8').send(renderErrorPage(markdown))
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)
}

// Renders inline Markdown: `code` spans and links. Only links to another
// error page become anchors, so a page cannot point the browser elsewhere.
function renderInline(text: string): string {
  let html = ''
  const tokens = /`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g
  let last = 0
  for (const match of text.matchAll(tokens)) {
    html += escapeHtml(text.slice(last, match.index))
    if (match[1] !== undefined) {
      html += `<code>${escapeHtml(match[1])}</code>`
    } else {
      const label = match[2]!
      const target = match[3]!
      const page = /^(\d{6}|README)\.md$/.exec(target)?.[1]
      if (page === undefined) html += `${escapeHtml(label)} (${escapeHtml(target)})`
      else html += `<a href="/ui/errors/${page === 'README' ? '' : page}">${escapeHtml(label)}</a>`
    }
    last = match.index + match[0].length
  }
  return html + escapeHtml(text.slice(last))
}

function tableCells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim())
}

// Renders the small Markdown subset the troubleshooting pages use: headings,
// paragraphs, bullet lists, fenced code and pipe tables. Every piece of text
// is escaped, whatever the file contains.
export function renderMarkdown(markdown: string): { title: string; body: string } {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n')
  const out: string[] = []
  let title = 'Troubleshooting'
  let paragraph: string[] = []
  let list: string[] = []

  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${renderInline(paragraph.join(' '))}</p>`)
    if (list.length > 0) out.push(`<ul>${list.map((item) => `<li>${renderInline(item)}</li>`).join('')}</ul>`)
    paragraph = []
    list = []
  }

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    const heading = /^(#{1,3})\s+(.*)$/.exec(line)
    if (line.startsWith('```')) {
      flush()
      const code: string[] = []
      while (++index < lines.length && !lines[index]!.startsWith('```')) code.push(lines[index]!)
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`)
    } else if (heading) {
      flush()
      const level = heading[1]!.length
      if (level === 1) title = heading[2]!
      out.push(`<h${level}>${renderInline(heading[2]!)}</h${level}>`)
    } else if (line.startsWith('|')) {
      flush()
      const rows: string[][] = []
      for (; index < lines.length && lines[index]!.startsWith('|'); index++) {
        if (!/^\|[\s|:-]+\|$/.test(lines[index]!.trim())) rows.push(tableCells(lines[index]!))
      }
      index--
      const [header = [], ...body] = rows
      out.push(
        `<table><thead><tr>${header.map((cell) => `<th scope="col">${renderInline(cell)}</th>`).join('')}</tr></thead>` +
          `<tbody>${body.map((row) => `<tr>${row.map((cell) => `<td>${renderInline(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
      )
    } else if (/^\s*-\s+/.test(line)) {
      if (paragraph.length > 0) flush()
      list.push(line.replace(/^\s*-\s+/, ''))
    } else if (line.trim() === '') {
      flush()
    } else if (list.length > 0 && /^\s+/.test(line)) {
      list[list.length - 1] += ` ${line.trim()}`
    } else {
      if (list.length > 0) flush()
      paragraph.push(line.trim())
    }
  }
  flush()
  return { title, body: out.join('\n') }
}

function renderErrorPage(markdown: string): string {
  const { title, body } = renderMarkdown(markdown)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - knocklist</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/styles.css">
</head>
<body>
<header class="top"><a class="brand" href="/ui/">knocklist admin</a><nav aria-label="Troubleshooting"><a href="/ui/errors/">All RouterOS error codes</a></nav></header>
<main id="main" class="doc">
${body}
</main>
</body>
</html>
`
}
