/**
 * WHEP (draft-ietf-wish-whep) for one-time links, plus a per-viewer event stream.
 *
 *   POST   /whep               Authorization: Bearer <link token | resume secret>, body = SDP offer
 *                              → 201, body = complete answer SDP, Location: /whep/<viewerId>,
 *                                X-Sonobox-Resume: <resume secret>
 *   DELETE /whep/:id           → 200; the viewer leaves and its link is revoked
 *   PATCH  /whep/:id           → 405; no trickle ICE (the answer carries every candidate)
 *   GET    /whep/:id/events    → text/event-stream: {"state":"live","audio":"on"} at once (audio:
 *                                on, muted or none, audio/audio-share.ts), the same again with
 *                                the new audio on each change (the sonographer mutes at the
 *                                box), {"state":"ended"} when the link can no longer show
 *                                video, then the stream closes
 *
 * POST order (cheap checks before any peer connection exists): rate limits → content type
 * (415) → declared length (413) → credential, not consumed (403) → answer (400 if the offer
 * is rejected; the link stays unused) → synchronous bind (403 if another request won; its
 * pending viewer is closed) → attach → 201.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/rate-limit'; // app.createRateLimit's type
import type { SessionManager } from '../sessions/session-manager.js';
import { bearerCredential } from '../sessions/link-token.js';
import { OfferRejected, type PendingViewer, type ViewerFactory } from '../webrtc/viewer-connection.js';
import type { AudioShare } from '../audio/audio-share.js';
import { HttpError } from './error-table.js';

/** The largest offer accepted. Browser offers are 2–10 KiB. */
export const SDP_BODY_LIMIT = 64 * 1024;

export interface WhepLimits {
  /** POST /whep attempts per client address per minute. */
  readonly perAddressPerMinute: number;
  /** POST /whep attempts per minute from everyone together. */
  readonly globalPerMinute: number;
  /** SSE comment interval; must stay under the server's connectionTimeout. */
  readonly sseHeartbeatMs: number;
}

/** What the event stream says about the sound (pipeline/audio-pipeline.ts). */
export interface AudioShareSource {
  readonly share: AudioShare;
  onShareChange(listener: (share: AudioShare) => void): () => void;
}

export interface WhepDeps {
  readonly sessions: SessionManager;
  readonly viewers: ViewerFactory;
  readonly limits: WhepLimits;
  /** The sound viewers are told about; without it the events carry no `audio`. */
  readonly audio?: AudioShareSource;
}

/** True for `application/sdp`, any case, with or without parameters (RFC 9110 §8.3.1). */
export function isSdpContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/sdp';
}

/** Registers the WHEP routes; needs @fastify/rate-limit registered on an ancestor. */
export async function whepRoutes(app: FastifyInstance, deps: WhepDeps): Promise<void> {
  const { sessions, viewers, limits, audio } = deps;
  const perAddress = app.createRateLimit({ max: limits.perAddressPerMinute, timeWindow: 60_000 });
  const everyone = app.createRateLimit({ max: limits.globalPerMinute, timeWindow: 60_000, keyGenerator: () => 'whep:everyone' });

  async function rateLimit(req: FastifyRequest): Promise<void> {
    for (const limiter of [perAddress, everyone]) {
      const r = await limiter(req);
      if (!r.isAllowed && r.isExceeded) {
        req.log.warn('WHEP attempts rate-limited');
        throw new HttpError('rate-limited', undefined, { 'retry-after': String(Math.max(1, r.ttlInSeconds)) });
      }
    }
  }

  async function precheck(req: FastifyRequest): Promise<void> {
    if (!isSdpContentType(req.headers['content-type'])) throw new HttpError('unsupported-media-type');
    const declared = Number(req.headers['content-length'] ?? 0);
    // Refuse on the declared length before reading a byte; fastify's bodyLimit also stops
    // a chunked body once it passes the limit while streaming.
    if (declared > SDP_BODY_LIMIT) throw new HttpError('body-too-large', undefined, { connection: 'close' });
    if (sessions.check(bearerCredential(req.headers.authorization)) === null) throw refused(req);
  }

  app.post('/whep', { bodyLimit: SDP_BODY_LIMIT, onRequest: [rateLimit, precheck] }, async (req, reply) => {
    const credential = bearerCredential(req.headers.authorization);
    let pending: PendingViewer;
    try {
      pending = await viewers.answer(typeof req.body === 'string' ? req.body : '');
    } catch (err) {
      if (err instanceof OfferRejected) {
        req.log.info(`WHEP offer rejected: ${err.message}`);
        throw new HttpError('offer-rejected', err.message);
      }
      throw err;
    }
    // Synchronous from here to the reply's headers: of concurrent claims only one binds.
    const bound = sessions.bind(credential, pending.connection);
    if (!bound.ok) {
      pending.connection.close('link already used').catch((err: unknown) => req.log.warn(`Closing an unused viewer failed: ${String(err)}`));
      throw refused(req);
    }
    try {
      pending.attach();
    } catch (err) {
      sessions.hangUp(pending.connection.id);
      throw err;
    }
    return reply
      .code(201)
      .header('location', `/whep/${encodeURIComponent(pending.connection.id)}`)
      .header('x-sonobox-resume', bound.resumeSecret)
      .type('application/sdp')
      .send(pending.answerSdp);
  });

  app.delete<{ Params: { id: string } }>('/whep/:id', async (req, reply) => {
    if (!sessions.hangUp(req.params.id)) throw new HttpError('viewer-not-found');
    return reply.code(200).send();
  });

  app.patch('/whep/:id', async (_req, reply) => {
    reply.header('allow', 'DELETE');
    throw new HttpError('trickle-unsupported');
  });

  app.get<{ Params: { id: string } }>('/whep/:id/events', async (req, reply) => sendEvents(req.params.id, reply));

  // Open event streams would hold app.close() forever; on shutdown every page hears
  // "ended" (the box's memory, links included, is about to go) and its stream closes.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...openStreams]) end();
  });

  function sendEvents(viewerId: string, reply: FastifyReply): FastifyReply {
    const stream = new PassThrough();
    const event = (state: 'live' | 'ended'): void => {
      // While live, every event also says what the sound is; the page maps it to one flag.
      const data = state === 'live' && audio ? { state, audio: audio.share } : { state };
      stream.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    let unwatch: (() => void) | null = null;
    let unwatchAudio: (() => void) | undefined;
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), limits.sseHeartbeatMs);
    heartbeat.unref();
    const finish = (): void => {
      openStreams.delete(endNow);
      clearInterval(heartbeat);
      unwatch?.();
      unwatchAudio?.();
      if (!stream.writableEnded) stream.end();
    };
    const endNow = (): void => {
      if (stream.writableEnded) return;
      event('ended');
      finish();
    };
    unwatch = sessions.watchViewer(viewerId, endNow);
    // An unknown viewer (session already over, or never existed) hears "ended" at once, so
    // a page that opens its event stream just after the end still learns it immediately.
    if (unwatch === null) {
      endNow();
    } else {
      event('live');
      unwatchAudio = audio?.onShareChange(() => event('live'));
      openStreams.add(endNow);
      reply.raw.once('close', finish);
    }
    return reply.header('content-type', 'text/event-stream; charset=utf-8').header('x-accel-buffering', 'no').send(stream);
  }
}

/** The one refusal for unknown, used, expired and no-session alike. */
function refused(req: FastifyRequest): HttpError {
  req.log.info('WHEP link refused');
  return new HttpError('link-invalid');
}
