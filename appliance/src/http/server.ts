/**
 * buildServer(deps): the box's one HTTP server, built but not listening (main.ts listens).
 *
 *   /whep…            WHEP and per-viewer events (whep-routes.ts)
 *   /api/session, /api/cart.png, /api/mask-preview.png   box only (box-only-routes.ts)
 *   GET /api/status     counts and states only, never a token
 *   GET /v              the viewer page (web-ui/dist/index.html); /assets/* beside it; / → /v
 *
 * Every response carries the security headers below; every error comes from error-table.ts.
 * Request logging is off: the few meaningful events are logged by the routes and the
 * session manager, through a logger that redacts tokens and addresses itself.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { SessionManager } from '../sessions/session-manager.js';
import type { ViewerFactory } from '../webrtc/viewer-connection.js';
import { bearerAllowedOn, BearerPolicy } from '../credentials/link-credential.js';
import { defaultFailureBudget } from '../credentials/failure-limiter.js';
import { boxOnlyRoutes, type BoxOnlyDeps } from './box-only-routes.js';
import { HttpError, sendError, type ErrorCode } from './error-table.js';
import { hostAllowed, type HostAllowList } from './host-allow-list.js';
import { SDP_BODY_LIMIT, whepRoutes, type AudioShareSource, type SdpBody, type WhepLimits } from './whep-routes.js';

export interface ServerDeps extends Pick<BoxOnlyDeps, 'cartScreen' | 'maskPreview'> {
  readonly sessions: SessionManager;
  readonly viewers: ViewerFactory;
  /** The sound, for the viewers' event streams (pipeline/audio-pipeline.ts). */
  readonly audio?: AudioShareSource;
  /** Source, encoder and anything else for GET /api/status; must hold no secret. */
  readonly status: () => object;
  /** Absolute path of web-ui/dist (index.html, assets/). */
  readonly webUiDir: string;
  /** Builds the link a phone opens from a fresh token (e.g. `http://host:8080/v#t=<token>`). */
  readonly linkFor: (token: string) => string;
  /** The redacting logger from system/logger.ts. */
  readonly logger: FastifyBaseLogger;
  /** Failure budget and SSE heartbeat; defaults suit a real cart. */
  readonly limits?: Partial<WhepLimits>;
  /** Where `Authorization: Bearer` is accepted (session.whepBearer); default 'tls'. */
  readonly whepBearer?: BearerPolicy;
  /**
   * The Host names the box answers besides loopback (host-allow-list.ts). Default: the
   * machine's interface addresses, read at each request.
   */
  readonly hosts?: HostAllowList;
  /**
   * Clinic mode with the engineer's certificate: serve HTTPS with these PEM bytes and send
   * HSTS. Absent (the default): plain HTTP, and no HSTS (it would be ignored, RFC 6797 §8.1).
   */
  readonly https?: { readonly key: Buffer | string; readonly cert: Buffer | string };
  /** Socket and request timeouts; defaults (serverTimeouts) suit a real cart. Tests shorten them. */
  readonly timeouts?: Partial<ServerTimeouts>;
}

export const defaultLimits: WhepLimits = {
  // Only bad credentials are counted (credentials/failure-limiter.ts): a valid link always passes.
  failures: defaultFailureBudget,
  sseHeartbeatMs: 15_000,
};

/** Every address of this machine's interfaces, as Host headers spell them. */
export function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/**
 * Sent on every response. lit's styles use adoptedStyleSheets (constructed stylesheets are
 * not subject to style-src), so the page needs no 'unsafe-inline'.
 */
export const securityHeaders = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export interface ServerTimeouts {
  readonly connectionTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /**
   * How often node checks open requests against requestTimeoutMs and headersTimeoutMs.
   * node's default is 30 s, which let a one-byte-a-second client hold a socket for 30 s
   * whatever the timeouts said (measured in test/hostile/slow-clients.e2e.test.ts).
   */
  readonly checkIntervalMs: number;
}

/** HTTPS mode only: browsers then refuse plain HTTP to this host for a year (RFC 6797). */
export const hstsHeader = 'max-age=31536000';

/** Socket and request timeouts, small because every legitimate request is small and local. */
export const serverTimeouts: ServerTimeouts = {
  /** Idle socket; the SSE heartbeat keeps event streams under it. */
  connectionTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  /** Whole request (headers + body) must arrive within this. */
  requestTimeoutMs: 15_000,
  headersTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function buildServer(deps: ServerDeps): FastifyInstance {
  const limits: WhepLimits = { ...defaultLimits, ...deps.limits };
  const timeouts: ServerTimeouts = { ...serverTimeouts, ...deps.timeouts };
  const app = Fastify({
    loggerInstance: deps.logger,
    // disableRequestLogging: no "incoming request"/"request completed" lines, which would
    // carry URLs and timings per viewer. (The top-level option is deprecated in fastify 5.12.)
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    bodyLimit: SDP_BODY_LIMIT,
    connectionTimeout: timeouts.connectionTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    http: { connectionsCheckingInterval: timeouts.checkIntervalMs },
    return503OnClosing: true,
    // fastify builds an https.Server when given `https`; routes and hooks are the same.
    ...(deps.https ? { https: { key: deps.https.key, cert: deps.https.cert, connectionsCheckingInterval: timeouts.checkIntervalMs } } : {}),
  });
  app.server.headersTimeout = timeouts.headersTimeoutMs;

  // Only SDP bodies are parsed; anything else on a body-less route is read and ignored (≤ 1 KiB).
  app.removeAllContentTypeParsers();
  // SDP is UTF-8 (RFC 8866 §5); invalid bytes are refused, not silently replaced by U+FFFD.
  // The exact bytes are kept too: the request's MAC covers them, not the decoded text (a
  // decoder drops a leading BOM).
  app.addContentTypeParser('application/sdp', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      const raw = body as Buffer;
      done(null, { raw, sdp: strictUtf8.decode(raw) } satisfies SdpBody);
    } catch {
      done(new HttpError('offer-rejected', 'SDP offer is not valid UTF-8'), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 }, (_req, _body, done) => done(null, undefined));

  // Against DNS rebinding: a name the box is not called is refused before any route runs.
  const hosts: HostAllowList = deps.hosts ?? { known: machineAddresses };
  app.addHook('onRequest', async (req) => {
    if (!hostAllowed(req.headers.host, hosts)) throw new HttpError('misdirected');
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(securityHeaders);
    if (deps.https) reply.header('strict-transport-security', hstsHeader);
    return payload;
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) {
      reply.headers(err.headers);
      return sendError(reply, err.code, err.detail);
    }
    // 403 here comes from @fastify/static refusing a directory: say "not found", reveal nothing.
    const byStatus: Partial<Record<number, ErrorCode>> = { 403: 'not-found', 404: 'not-found', 408: 'request-timeout', 413: 'body-too-large', 415: 'unsupported-media-type' };
    const status = err.statusCode ?? 500;
    if (status === 413) reply.header('connection', 'close');
    if (status >= 400 && status < 500) return sendError(reply, byStatus[status] ?? 'bad-request');
    req.log.error({ err }, 'Request failed');
    return sendError(reply, 'internal');
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, 'not-found'));

  const listener = deps.https ? 'https' : 'http';
  const bearer = bearerAllowedOn(deps.whepBearer ?? BearerPolicy.tls, listener);
  app.register(async (scope) => whepRoutes(scope, { sessions: deps.sessions, viewers: deps.viewers, limits, scheme: listener, bearer, ...(deps.audio ? { audio: deps.audio } : {}) }));
  app.register(async (scope) => boxOnlyRoutes(scope, deps));
  app.get('/api/status', async (_req, reply) => reply.send({ ...deps.status(), session: deps.sessions.snapshot() }));
  app.register(async (scope) => pageRoutes(scope, deps.webUiDir));
  return app;
}

async function pageRoutes(app: FastifyInstance, webUiDir: string): Promise<void> {
  // No directory listing, no index files, no dotfiles; Cache-Control comes from securityHeaders.
  await app.register(fastifyStatic, { root: webUiDir, prefix: '/', index: false, list: false, dotfiles: 'ignore', cacheControl: false });
  app.get('/', async (_req, reply) => reply.redirect('/v', 302));
  app.get('/v', async (_req, reply) => {
    if (!existsSync(join(webUiDir, 'index.html'))) throw new HttpError('viewer-page-missing');
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });
}
