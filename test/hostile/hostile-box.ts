/**
 * The box assembled in-process for hostile-input tests: test pattern → x264 → hub → real
 * werift viewers, sessions and the real HTTP server, on loopback. Unlike buildApp it lets a
 * test shorten the server's timeouts and the viewer factory's reclaim timers, or swap the
 * viewer factory for the signalling twin. Nothing here is a secret sink: tokens stay in memory.
 */
import { Socket, connect } from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { renderSlate } from '../../appliance/src/capture/slate.js';
import { TestPatternSource } from '../../appliance/src/capture/test-pattern-source.js';
import { SoftwareEncoder } from '../../appliance/src/encode/software-encoder.js';
import { buildServer, type ServerDeps, type ServerTimeouts } from '../../appliance/src/http/server.js';
import { deriveLinkSecrets } from '../../appliance/src/credentials/link-keys.js';
import type { WhepLimits } from '../../appliance/src/http/whep-routes.js';
import { VideoPipeline } from '../../appliance/src/pipeline/video-pipeline.js';
import { SessionManager } from '../../appliance/src/sessions/session-manager.js';
import { StreamHub } from '../../appliance/src/stream/stream-hub.js';
import { createLogger } from '../../appliance/src/system/logger.js';
import type { ViewerFactory } from '../../appliance/src/webrtc/viewer-connection.js';
import { WeriftViewerFactory, type WeriftViewerFactoryOptions } from '../../appliance/src/webrtc/werift-viewer-factory.js';
import { webUiDir } from '../../appliance/src/app.js';
import { silentLogger } from '../../appliance/src/system/logger.js';

export interface HostileBoxOptions {
  /** Replaces the real werift factory (signalling-only tests). */
  readonly viewers?: ViewerFactory;
  /** Wraps whichever factory the box uses (to count the viewers it makes). */
  readonly wrapViewers?: (factory: ViewerFactory) => ViewerFactory;
  /** Reclaim timers etc. for the real factory. */
  readonly factory?: Partial<Omit<WeriftViewerFactoryOptions, 'hub' | 'webrtc'>>;
  readonly limits?: Partial<WhepLimits>;
  /**
   * Where the box accepts `Authorization: Bearer` (default 'tls', so never on this plain-HTTP
   * box). Robustness tests that are not about credentials pass 'always' and keep Bearer.
   */
  readonly whepBearer?: ServerDeps['whepBearer'];
  readonly timeouts?: Partial<ServerTimeouts>;
  readonly maxViewers?: number;
  readonly linkTtlMs?: number;
  /** Start the capture → encode pipeline (needed only when media must flow). */
  readonly media?: boolean;
}

export interface HostileBox {
  readonly server: FastifyInstance;
  readonly sessions: SessionManager;
  readonly hub: StreamHub;
  /** http://127.0.0.1:<port>, or '' until listen() (inject-only boxes never listen). */
  base: string;
  listen(): Promise<string>;
  /** A fresh link token (starts a session or adds a link). */
  token(): string;
  /** True while the link of `token` is unused and open (issued, not claimed, not expired). */
  unused(token: string): boolean;
  stop(): Promise<void>;
}

export function buildHostileBox(o: HostileBoxOptions = {}): HostileBox {
  const size = { width: 320, height: 240, fps: 15 };
  let pipeline: VideoPipeline | undefined;
  const hub = new StreamHub({ viewerQueueFrames: 30, requestKeyframe: () => pipeline?.requestKeyframe() });
  if (o.media) {
    pipeline = new VideoPipeline({
      source: new TestPatternSource(size),
      encoder: new SoftwareEncoder({ settings: { ...size, bitrateBps: 300_000, keyframeInterval: 30 } }),
      ...size,
      makeSlate: (condition, width, height, seq, timeMs) => ({ width, height, seq, captureTimeMs: timeMs, data: renderSlate(width, height, condition, { seq, timeMs }) }),
      publish: (au) => hub.publish(au),
      logger: silentLogger,
    });
  }
  const made =
    o.viewers ??
    new WeriftViewerFactory({
      hub,
      webrtc: { playoutDelayMinMs: 0, playoutDelayMaxMs: 0, extraHostAddresses: ['127.0.0.1'], viewerQueueFrames: 30 },
      ...o.factory,
    });
  const viewers = o.wrapViewers ? o.wrapViewers(made) : made;
  const sessions = new SessionManager({ policy: { linkTtlMs: o.linkTtlMs ?? 600_000, maxViewers: o.maxViewers ?? 16 } });
  const box: HostileBox = {
    base: '',
    hub,
    sessions,
    server: buildServer({
      sessions,
      viewers,
      status: () => ({}),
      webUiDir,
      linkFor: (t) => `${box.base}/v#${t}`,
      logger: createLogger({ level: 'silent' }),
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.whepBearer ? { whepBearer: o.whepBearer } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    }),
    async listen() {
      const address = await box.server.listen({ port: 0, host: '127.0.0.1' });
      box.base = address;
      pipeline?.start();
      return address;
    },
    token() {
      const r = sessions.start();
      if (!r.ok) throw new Error(r.message);
      return r.token;
    },
    unused(token) {
      const secrets = deriveLinkSecrets(token);
      return secrets !== null && sessions.credentialOf(secrets.linkId)?.kind === 'claimable';
    },
    async stop() {
      await sessions.end('test over');
      sessions.dispose();
      await box.server.close();
      await pipeline?.stop();
    },
  };
  return box;
}

/** The real Chromium 156 offer (CRLF, recvonly video, ICE gathered). */
export const chromiumOffer = readFileSync(new URL('../../appliance/src/webrtc/test/fixtures/chromium-156-recvonly-offer.sdp', import.meta.url), 'utf8');

/** Open sockets of this process, by kind, from /proc/self/fd and /proc/net/{udp,udp6,tcp,tcp6}. */
export function socketCounts(): { fds: number; udp: number; tcp: number } {
  const inodes = new Set<string>();
  let fds = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    fds++;
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed between readdir and readlink
    }
  }
  const count = (file: string): number => {
    let n = 0;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode && inodes.has(inode)) n++;
    }
    return n;
  };
  return { fds, udp: count('/proc/net/udp') + count('/proc/net/udp6'), tcp: count('/proc/net/tcp') + count('/proc/net/tcp6') };
}

/** A raw TCP connection to the box; resolves when connected. */
export function rawSocket(base: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port) }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the server sends until it closes the socket (or `timeoutMs`), and when it closed. */
export function collectUntilClosed(s: Socket, timeoutMs: number): Promise<{ data: string; closedAfterMs: number | null; error?: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let data = '';
    let error: string | undefined;
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    const timer = setTimeout(() => resolve({ data, closedAfterMs: null, ...(error ? { error } : {}) }), timeoutMs);
    s.once('close', () => {
      clearTimeout(timer);
      resolve({ data, closedAfterMs: performance.now() - t0, ...(error ? { error } : {}) });
    });
  });
}

/** This process's UDP socket count once it has fallen to `baseline` or 5 s have passed (closed peers release sockets asynchronously). */
export async function udpSocketsAfterSettling(baseline: number): Promise<number> {
  const end = Date.now() + 5000;
  while (socketCounts().udp > baseline && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return socketCounts().udp;
}
