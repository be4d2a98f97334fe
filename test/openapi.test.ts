import t from 'tap'
import { buildTestApp, getText, listen } from './helpers/app.js'

t.test('every route is documented', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const reply = await getText(base, '/v1/openapi.json')
  t.equal(reply.status, 200, 'served without credentials')
  const spec = JSON.parse(reply.text) as { openapi: string; paths: Record<string, Record<string, { summary?: string }>> }
  t.match(spec.openapi, /^3\./, 'OpenAPI 3')

  const routes = testApp.app.registeredRoutes.filter((route) => route.method !== 'HEAD' && !route.hidden)
  t.ok(routes.length >= 15, `${routes.length} routes registered`)
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const operation = spec.paths[path]?.[route.method.toLowerCase()]
    t.ok(operation, `${route.method} ${route.url} is in the description`)
    t.ok(operation?.summary, `${route.method} ${route.url} has a summary`)
  }
})

t.test('grant body schema in the description', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const spec = JSON.parse((await getText(base, '/v1/openapi.json')).text)
  const body = spec.paths['/v1/knocs/{knoc}/grants'].post.requestBody.content['application/json'].schema
  t.same(Object.keys(body.properties).sort(), ['address', 'comment', 'ttl', 'user'], 'the grant fields')
  t.same(body.required, ['address'], 'address is required')
  t.equal(body.additionalProperties, false, 'unknown fields are rejected')
})

t.test('credentials named per route', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const spec = JSON.parse((await getText(base, '/v1/openapi.json')).text) as { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> }
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement))
      if (/^\/v1\/(knocs|grants|audit)/.test(path)) t.same(schemes, ['adminToken'], `${method.toUpperCase()} ${path} needs the admin token`)
      else if (path.startsWith('/v1/feeds/')) t.same(schemes, ['feedCredentials'], `${method.toUpperCase()} ${path} needs feed credentials`)
    }
  }
})

t.test('knoc body and success statuses described', async (t) => {
  const testApp = await buildTestApp(t)
  const base = await listen(testApp)
  const spec = JSON.parse((await getText(base, '/v1/openapi.json')).text)
  const put = spec.paths['/v1/knocs/{knoc}'].put
  const body = put.requestBody.content['application/json'].schema
  t.ok(body.properties.mode && body.properties.routers && body.properties.feed, 'PUT documents the knoc fields')
  t.same(Object.keys(put.responses).sort(), ['200', '201'], 'PUT answers 200 or 201')
  t.same(Object.keys(spec.paths['/v1/knocs/{knoc}'].delete.responses), ['204'], 'DELETE of a knoc answers 204')
  t.same(Object.keys(spec.paths['/v1/grants/{id}'].delete.responses), ['204'], 'DELETE of a grant answers 204')
  t.same(Object.keys(spec.paths['/v1/knocs/{knoc}/grants'].post.responses), ['201'], 'a grant answers 201')
})
