/**
 * GET /api/mask-preview.png: the next captured frame, unmasked, with the active preset's
 * rectangles outlined (mask-preview.ts). For the engineer setting up masks on the box
 * itself: loopback only, never from a web page (an Origin header is refused too), never
 * cached, never stored. Headers say which preset and which resolution set applied.
 */
import type { FastifyInstance } from 'fastify';
import { isLoopback } from '../http/server.js';
import type { MaskFilter } from './mask-filter.js';
import { NO_MASK } from './mask-presets.js';
import { renderMaskPreview } from './mask-preview.js';

/** How long the page waits for the next frame before saying the source is not live. */
export const PREVIEW_WAIT_MS = 2000;

export function registerMaskPreview(server: FastifyInstance, mask: MaskFilter): void {
  server.get('/api/mask-preview.png', async (req, reply) => {
    if (!isLoopback(req.socket.remoteAddress) || req.headers.origin !== undefined) {
      return reply.code(403).send({ error: 'not-from-box', message: 'The mask set-up picture is shown only on the box itself (http://127.0.0.1).' });
    }
    const frame = await mask.nextFrame(PREVIEW_WAIT_MS);
    if (!frame) {
      return reply.code(503).send({ error: 'no-frame', message: `No picture arrived from the capture within ${PREVIEW_WAIT_MS} ms; check the source is live (GET /api/status) and try again.` });
    }
    const rects = mask.rectsFor(frame.width, frame.height);
    const size = `${frame.width}x${frame.height}`;
    return reply
      .header('cache-control', 'no-store')
      .header('x-mask-preset', mask.preset?.name ?? NO_MASK)
      .header('x-mask-set', !mask.preset ? 'none (preset none: nothing is masked)' : rects ? size : `none (frames at ${size} are withheld: the slate is sent)`)
      .type('image/png')
      .send(renderMaskPreview(frame, rects));
  });
}
