/**
 * Every route that answers only the box itself, in one fastify plugin with one guard:
 *
 *   POST /api/session          start a session (or the next link) → 201 { link, expiresInS }
 *   DELETE /api/session        end the session → 200 { state }
 *   GET /api/cart.png          the cart screen kept in memory (dev display; it may show a QR)
 *   GET /api/mask-preview.png  the next captured frame, unmasked, with the mask outlined
 *
 * What they have in common: each hands out a link or a picture of the scanner's screen,
 * so no other machine and no web page may reach them. The guard is an onRequest hook
 * encapsulated in this plugin (it runs for these routes only), and every refusal and
 * error comes from error-table.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionManager } from '../sessions/session-manager.js';
import { HttpError } from './error-table.js';
import { boxOnlyHostAllowed } from './host-allow-list.js';

/** What the set-up picture route sends (mask/mask-preview.ts maskPreviewPicture). */
export interface MaskPreviewPicture {
  readonly png: Buffer;
  /** Active preset name (X-Mask-Preset). */
  readonly preset: string;
  /** Which resolution set applied, or why none did (X-Mask-Set). */
  readonly set: string;
}

export interface BoxOnlyDeps {
  readonly sessions: SessionManager;
  /** Builds the link a phone opens from a fresh token. */
  readonly linkFor: (token: string) => string;
  /** The dev display's latest screen (PNG); absent when the cart has a real display. */
  readonly cartScreen?: () => Uint8Array | undefined;
  /** The set-up picture, waiting up to `waitMs` for a frame; undefined when none came. */
  readonly maskPreview?: (waitMs: number) => Promise<MaskPreviewPicture | undefined>;
}

/** How long the set-up picture waits for the next frame before saying the source is not live. */
export const PREVIEW_WAIT_MS = 2000;

/** True for a peer on this machine (IPv4, IPv6, or IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * The one decision "did the box itself make this request?": the peer is loopback, and no
 * browser page sent it (browsers add Origin to every cross-origin request and to every
 * POST/DELETE, so a web page cannot drive these routes through a browser on the box).
 * `trustProxy` is off, so proxy headers never change the peer. And the request must be
 * addressed to a loopback name: against DNS rebinding, a browser on the box that loaded a
 * page from a name made to resolve to 127.0.0.1 sends that name, and is refused here.
 */
export function fromTheBox(req: FastifyRequest): boolean {
  return isLoopback(req.socket.remoteAddress) && req.headers.origin === undefined && boxOnlyHostAllowed(req.headers.host);
}

export async function boxOnlyRoutes(app: FastifyInstance, deps: BoxOnlyDeps): Promise<void> {
  const { sessions } = deps;
  app.addHook('onRequest', async (req) => {
    if (fromTheBox(req)) return;
    req.log.warn('Box-only route refused: not from the box');
    throw new HttpError('not-from-box');
  });

  app.post('/api/session', async (_req, reply) => {
    const r = sessions.start();
    if (!r.ok) throw new HttpError('session-full');
    return reply.code(201).send({ link: deps.linkFor(r.token), expiresInS: Math.round(r.expiresInMs / 1000) });
  });

  app.delete('/api/session', async (_req, reply) => {
    await sessions.end('ended from the box');
    return reply.code(200).send({ state: sessions.snapshot().state });
  });

  const { cartScreen, maskPreview } = deps;
  if (cartScreen) {
    // Served from memory; the screen may carry a link's QR code, so it is never a file.
    app.get('/api/cart.png', async (_req, reply) => {
      const png = cartScreen();
      if (!png) throw new HttpError('no-screen');
      return reply.type('image/png').send(png);
    });
  }
  if (maskPreview) {
    app.get('/api/mask-preview.png', async (_req, reply) => {
      const picture = await maskPreview(PREVIEW_WAIT_MS);
      if (!picture) throw new HttpError('no-frame', `nothing within ${PREVIEW_WAIT_MS} ms`);
      return reply.header('x-mask-preset', picture.preset).header('x-mask-set', picture.set).type('image/png').send(picture.png);
    });
  }
}
