import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.js'

// Serves the admin web interface at /ui/.
export async function uiRoutes(app: FastifyInstance, _context: AppContext): Promise<void> {
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'))
}
