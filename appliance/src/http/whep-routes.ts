/**
 * WHEP (RFC 9725) for one-time links, plus a per-viewer event stream, under the sonobox/v1
 * credential scheme (docs/credential-scheme.md): no request carries a reusable credential.
 *
 *   POST   /whep               Authorization: Sonobox-Proof …, body = SDP offer
 *                              claim (proof with key=A) → 201, body = answer SDP,
 *                                Location: /whep/<resource>, X-Sonobox-Key: B, X-Sonobox-Proof
 *                              resume (device keys, fresh offer) → 201 with a new Location, or
 *                                409 viewer-connected + Retry-After while the old connection is heard
 *   DELETE /whep/:id           signed → 200; the viewer leaves and its link is revoked
 *   PATCH  /whep/:id           → 405; no trickle ICE (the answer carries every candidate)
 *   GET    /whep/:id/events    signed → text/event-stream of signed events (id, data, proof):
 *                                {"state":"live","audio":"on"} at once (audio: on, muted or none,
 *                                audio/audio-share.ts) and on each change of the sound,
 *                                {"state":"ended"} when the link can no longer show video, or
 *                                {"state":"replaced"} when a resume moved the link; then it closes
 *
 * `Authorization: Bearer <token>` (standard WHEP players) only where `bearer` allows it
 * (session.whepBearer, credentials/link-credential.ts bearerAllowedOn); its answers are not
 * signed, as such a player could not check them.
 *
 * Order (cheap checks before any peer connection exists): content type (415) → declared
 * length (413) → body read (≤ 64 KiB) → credential, at a constant cost (403, or 429 for an
 * address or everyone over its failure budget) → the credential's new replay window stored,
 * synchronously → answer (400, signed; a claim's link stays unused) → synchronous bind (403
 * if another request won; its pending viewer is closed) → attach → 201.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceEnd, SessionManager } from '../sessions/session-manager.js';
import { OfferRejected, type PendingViewer, type ViewerFactory } from '../webrtc/viewer-connection.js';
import type { AudioShare } from '../audio/audio-share.js';
import { accept, claim, claimByBearer, present, presentedLinkId, type Acceptance, type LinkCredential } from '../credentials/link-credential.js';
import { defaultFailureBudget, initialLimiterState, judge, limitMessage, type FailureBudget } from '../credentials/failure-limiter.js';
import { bodySha256 } from '../credentials/request-proof.js';
import { responseProof, signedEvent } from '../credentials/response-proof.js';
import { BOX_KEY_HEADER, RESPONSE_PROOF_HEADER } from '../credentials/wire-format.js';
import { resumeVerdict } from '../sessions/resume-guard.js';
import { errorBody, HttpError, errorTable, type ErrorCode } from './error-table.js';

/** The largest offer accepted. Browser offers are 2–10 KiB. */
export const SDP_BODY_LIMIT = 64 * 1024;

/** An SDP body as the server's parser hands it over: the exact bytes (the MAC covers them) and the text. */
export interface SdpBody {
  readonly raw: Buffer;
  readonly sdp: string;
}

export interface WhepLimits {
  /** SSE comment interval; must stay under the server's connectionTimeout. */
  readonly sseHeartbeatMs: number;
  /** Bad credentials per address and for everyone before they are answered 429. */
  readonly failures: FailureBudget;
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
  /** How this listener is addressed, for the base every MAC covers: 'http' or 'https'. */
  readonly scheme: 'http' | 'https';
  /** Whether `Authorization: Bearer` is accepted on this listener (bearerAllowedOn). */
  readonly bearer: boolean;
  /** Monotonic ms, the clock of ViewerConnection.lastAuthenticatedRtcpAt (default performance.now). */
  readonly now?: () => number;
}

/** True for `application/sdp`, any case, with or without parameters (RFC 9110 §8.3.1). */
export function isSdpContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/sdp';
}

const NO_BODY = Buffer.alloc(0);

/** A request whose credential checked out: its link, how it was accepted, and the key to sign the answer. */
interface Admitted {
  readonly linkId: string;
  readonly as: 'claim' | 'device' | 'bearer';
  readonly n: number | null;
  /** A copy: the link's keys are wiped when it ends, possibly before this answer is sent. */
  readonly responseKey: Buffer | null;
  /** The page's X25519 key, for a claim. */
  readonly pageKey: string | null;
  readonly requestBodySha256: string;
}

/** Registers the WHEP routes. */
export async function whepRoutes(app: FastifyInstance, deps: WhepDeps): Promise<void> {
  const { sessions, viewers, limits, audio } = deps;
  const now = deps.now ?? (() => performance.now());
  let limiter = initialLimiterState;
  const budget = limits.failures ?? defaultFailureBudget;

  /**
   * The one credential check of every viewer request: constant cost, then the failure
   * budget (valid credentials always pass), then the moved window stored before any await.
   */
  function admit(req: FastifyRequest, method: 'POST' | 'GET' | 'DELETE', body: Buffer): Admitted {
    const presented = present(req.headers.authorization);
    const linkId = presentedLinkId(presented);
    const credential: LinkCredential | undefined = linkId === null ? undefined : sessions.credentialOf(linkId);
    const base = `${deps.scheme}://${req.headers.host ?? ''}`;
    const acceptance: Acceptance = accept(credential, presented, { method, base, path: req.url, body }, deps.bearer);
    const j = judge(limiter, budget, { address: req.socket.remoteAddress, valid: acceptance.ok, now: now() });
    limiter = j.state;
    if (j.log) req.log.warn(limitMessage[j.log]);
    if (!acceptance.ok || linkId === null) {
      if (j.verdict.answer === 'limited') throw new HttpError('rate-limited', undefined, { 'retry-after': String(Math.max(1, Math.ceil(j.verdict.retryAfterMs / 1000))) });
      throw new HttpError('link-invalid');
    }
    sessions.storeCredential(linkId, acceptance.credential);
    const proof = presented.scheme === 'proof' ? presented.proof : null;
    return {
      linkId,
      as: acceptance.as,
      n: acceptance.n,
      responseKey: acceptance.as === 'bearer' ? null : Buffer.from(acceptance.credential.keys.response),
      pageKey: proof?.key ?? null,
      requestBodySha256: bodySha256(body),
    };
  }

  /** Sends a response, signed (X-Sonobox-Proof) when the request was a page's proof. */
  function send(reply: FastifyReply, a: Admitted, status: number, body: string, contentType: string, headers: Record<string, string> = {}, key = a.responseKey): FastifyReply {
    reply.code(status).headers(headers).type(contentType);
    if (key !== null && a.n !== null) {
      const proof = responseProof(key, {
        requestN: a.n,
        status,
        location: headers.location ?? '',
        key: headers[BOX_KEY_HEADER.toLowerCase()] ?? '',
        link: '',
        requestBodySha256: a.requestBodySha256,
        responseBodySha256: bodySha256(body),
      });
      reply.header(RESPONSE_PROOF_HEADER.toLowerCase(), proof);
    }
    return reply.send(body);
  }

  /** An error from the table, signed like any other answer to a verified request. */
  function sendError(reply: FastifyReply, a: Admitted, code: ErrorCode, detail?: string, headers: Record<string, string> = {}): FastifyReply {
    return send(reply, a, errorTable[code].status, JSON.stringify(errorBody(code, detail)), 'application/json; charset=utf-8', headers);
  }

  async function precheck(req: FastifyRequest): Promise<void> {
    if (!isSdpContentType(req.headers['content-type'])) throw new HttpError('unsupported-media-type');
    const declared = Number(req.headers['content-length'] ?? 0);
    // Refuse on the declared length before reading a byte; fastify's bodyLimit also stops
    // a chunked body once it passes the limit while streaming.
    if (declared > SDP_BODY_LIMIT) throw new HttpError('body-too-large', undefined, { connection: 'close' });
  }

  /** Answers the offer; null (after replying 400) when it cannot be answered. */
  async function answerOffer(req: FastifyRequest, reply: FastifyReply, a: Admitted, sdp: string): Promise<PendingViewer | null> {
    try {
      return await viewers.answer(sdp);
    } catch (err) {
      if (!(err instanceof OfferRejected)) throw err;
      req.log.info(`WHEP offer rejected: ${err.message}`);
      sendError(reply, a, 'offer-rejected', err.message);
      return null;
    }
  }

  const closeUnused = (req: FastifyRequest, pending: PendingViewer, why: string): void => {
    pending.connection.close(why).catch((err: unknown) => req.log.warn(`Closing an unused viewer failed: ${String(err)}`));
  };

  const resourcePath = (pending: PendingViewer): string => `/whep/${encodeURIComponent(pending.connection.id)}`;

  app.post('/whep', { bodyLimit: SDP_BODY_LIMIT, onRequest: [precheck] }, async (req, reply) => {
    const body = req.body as SdpBody | undefined;
    const a = admit(req, 'POST', body?.raw ?? NO_BODY);
    const sdp = body?.sdp ?? '';
    const credential = sessions.credentialOf(a.linkId);
    const claiming = a.as === 'claim' || (a.as === 'bearer' && credential?.kind === 'claimable');

    if (!claiming) {
      // A resume: only while the box no longer hears the link's connection (resume-guard.ts).
      const verdict = resumeVerdict(sessions.viewerOfLink(a.linkId)?.lastAuthenticatedRtcpAt() ?? null, now());
      if (!verdict.ok) {
        req.log.info('WHEP resume refused: the link\'s connection is still heard');
        return sendError(reply, a, 'viewer-connected', undefined, { 'retry-after': String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) });
      }
    }
    const pending = await answerOffer(req, reply, a, sdp);
    if (pending === null) return reply;

    // Synchronous from here to the reply's headers: of concurrent claims only one binds.
    if (!(claiming ? sessions.claim(a.linkId, pending.connection) : sessions.resume(a.linkId, pending.connection))) {
      closeUnused(req, pending, claiming ? 'link already used' : 'link gone');
      throw new HttpError('link-invalid');
    }
    const location = resourcePath(pending);
    const headers: Record<string, string> = { location };
    let key = a.responseKey;
    if (claiming) {
      const current = sessions.credentialOf(a.linkId);
      const next = current === undefined ? null : a.as === 'bearer' ? { credential: claimByBearer(current), exchange: null } : claim(current, a.pageKey ?? '');
      if (next === null || next.credential === null) {
        // The page's key is unusable (a small-order point): nothing is bound to it.
        sessions.hangUp(a.linkId);
        throw new HttpError('link-invalid');
      }
      sessions.storeCredential(a.linkId, next.credential);
      if (next.exchange) {
        headers[BOX_KEY_HEADER.toLowerCase()] = next.exchange.boxKey;
        key = next.exchange.device.response; // the claim's 201 proves B came from the box
      }
    }
    try {
      pending.attach();
    } catch (err) {
      sessions.hangUp(a.linkId);
      throw err;
    }
    return send(reply, a, 201, pending.answerSdp, 'application/sdp', headers, key);
  });

  /** The link a signed request for `/whep/<resource>…` may act on: the proof's, and it must own the resource. */
  function admitForResource(req: FastifyRequest<{ Params: { id: string } }>, method: 'GET' | 'DELETE'): Admitted {
    const a = admit(req, method, NO_BODY);
    if (a.as === 'claim' || sessions.linkOfResource(req.params.id) !== a.linkId) throw new HttpError('link-invalid');
    return a;
  }

  app.delete<{ Params: { id: string } }>('/whep/:id', async (req, reply) => {
    const a = admitForResource(req, 'DELETE');
    sessions.hangUp(a.linkId);
    return send(reply, a, 200, '', 'text/plain; charset=utf-8');
  });

  app.patch('/whep/:id', async (_req, reply) => {
    reply.header('allow', 'DELETE');
    throw new HttpError('trickle-unsupported');
  });

  app.get<{ Params: { id: string } }>('/whep/:id/events', async (req, reply) => {
    const a = admitForResource(req, 'GET');
    return sendEvents(req.params.id, a, reply);
  });

  // Open event streams would hold app.close() forever; on shutdown every page hears
  // "ended" (the box's memory, links included, is about to go) and its stream closes.
  const openStreams = new Set<(why: ResourceEnd) => void>();
  app.addHook('preClose', async () => {
    for (const end of [...openStreams]) end('ended');
  });

  function sendEvents(resource: string, a: Admitted, reply: FastifyReply): FastifyReply {
    const stream = new PassThrough();
    let seq = 0;
    const write = (data: object): void => {
      const text = JSON.stringify(data);
      // A page's stream is signed event by event (spec §6); a Bearer player's is plain SSE.
      stream.write(a.responseKey !== null && a.n !== null ? signedEvent(a.responseKey, a.n, seq++, text) : `data: ${text}\n\n`);
    };
    // While live, every event also says what the sound is; the page maps it to one flag.
    const live = (): void => write(audio ? { state: 'live', audio: audio.share } : { state: 'live' });
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
    const endNow = (why: ResourceEnd): void => {
      if (stream.writableEnded) return;
      write({ state: why });
      finish();
    };
    unwatch = sessions.watchResource(resource, endNow);
    if (unwatch === null) {
      endNow('ended'); // admitted a moment ago: the link ended in between
    } else {
      live();
      unwatchAudio = audio?.onShareChange(() => live());
      openStreams.add(endNow);
      reply.raw.once('close', () => finish());
    }
    return reply.header('content-type', 'text/event-stream; charset=utf-8').header('x-accel-buffering', 'no').send(stream);
  }
}
