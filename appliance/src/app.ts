/**
 * buildApp wires the box from its configuration: source → (mask) → encoder → stream hub
 * → one werift peer per viewer, sessions and one-time links, the HTTP server and the
 * cart. It returns an unstarted App; only main.ts reads the environment, listens on
 * the network, prints and talks to systemd. Tests build the same App in-process.
 */
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { FrameSource } from './capture/frame-source.js';
import { FileSource } from './capture/file-source.js';
import { renderSlate } from './capture/slate.js';
import { StdinSource } from './capture/stdin-source.js';
import { TestPatternSource } from './capture/test-pattern-source.js';
import { V4l2Source } from './capture/v4l2-source.js';
import { CartController } from './cart/cart-controller.js';
import { cartLimitsOf, openCartButton, openCartDisplay } from './cart/cart-devices.js';
import { sessionManagerForCart } from './cart/cart-sessions.js';
import { PngDisplay } from './cart/png-display.js';
import type { Config } from './config/config.js';
import { probeBoard, type BoardProbe } from './encode/board-probe.js';
import { createEncoder } from './encode/encoder-select.js';
import type { EncoderSettings, H264Encoder } from './encode/h264-encoder.js';
import { MaskFilter } from './mask/mask-filter.js';
import { activePreset } from './mask/mask-presets.js';
import { registerMaskPreview } from './mask/mask-preview-route.js';
import { SoftwareEncoder } from './encode/software-encoder.js';
import { V4l2M2mEncoder } from './encode/v4l2-m2m-encoder.js';
import { streamProfileLevelId } from './encode/v4l2-m2m-encoder-controls.js';
import { buildServer, isLoopback } from './http/server.js';
import { createNetworkMode, type NetworkModeDeps } from './network/network-mode.js';
import { VideoPipeline } from './pipeline/video-pipeline.js';
import { SessionManager } from './sessions/session-manager.js';
import { StreamHub } from './stream/stream-hub.js';
import type { Logger } from './system/logger.js';
import { findCaptureDevice } from './v4l2/v4l2-discovery.js';
import { WeriftViewerFactory } from './webrtc/werift-viewer-factory.js';

/** The built viewer page (npm run build:ui). */
export const webUiDir = join(dirname(fileURLToPath(import.meta.url)), '../../web-ui/dist');

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Where `--source -` reads raw I420 frames; default process.stdin. */
  readonly stdin?: Readable;
  /** Filesystem root for the board probe (tests pass a fake /sys tree). */
  readonly probeRoot?: string;
  /** Called with every link the box issues (main prints it; tests open it). */
  readonly onLink?: (link: string) => void;
  /** A settings-file problem for the cart's idle screen (config/config-file.ts problemSummary). */
  readonly configProblem?: string;
  /** RAM-only directory for the hotspot's files (main.ts: $RUNTIME_DIRECTORY, else /run/sonobox). */
  readonly runtimeDir?: string;
  /** Tests replace hostapd, dnsmasq and ip with stand-ins. */
  readonly networkCommands?: NetworkModeDeps['commands'];
  /** Tests only: what network mode 'auto' finds on the board (main lets it probe /sys). */
  readonly networkProbe?: NetworkModeDeps['probe'];
  /** Tests only: a FrameSource to use instead of the one `config.source` picks (main never sets it). */
  readonly source?: FrameSource;
}

export interface App {
  readonly server: FastifyInstance;
  readonly sessions: SessionManager;
  readonly pipeline: VideoPipeline;
  readonly hub: StreamHub;
  readonly cart: CartController;
  readonly board: BoardProbe;
  /** Listens, starts the pipeline and the cart; resolves with the base URL. */
  start(): Promise<string>;
  /** Ends the session (every viewer), stops the cart, the pipeline and the server. */
  stop(): Promise<void>;
  /** The cart's short-press: starts a session (or issues the next link); returns the link. */
  share(): string | undefined;
  /** JSON for /api/status: what is running, never a secret. */
  status(): object;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, logger } = deps;
  const log = (line: string): void => logger.info(line);
  const board = await chooseBoard(config, deps.probeRoot);
  log(`Board: ${board.board}; encoder: ${board.encoder.kind}${board.encoder.device ? ` ${board.encoder.device}` : ''} (${board.encoder.reason})`);

  const settings: EncoderSettings = {
    width: config.source.width,
    height: config.source.height,
    fps: config.source.fps,
    bitrateBps: config.encoder.bitrateBps,
    keyframeInterval: Math.max(1, Math.round(config.encoder.keyframeIntervalS * config.source.fps)),
  };
  const encoder = chooseEncoder(config, board, settings, log);
  const source = deps.source ?? chooseSource(config, deps.stdin ?? process.stdin, log, board.mjpegDecoder?.device);
  log(`Source: ${source.description}`);

  // Throws ConfigError for an unknown preset name. Every live frame is masked before encode().
  const mask = new MaskFilter({ preset: activePreset(config.mask.preset), log });
  let pipeline: VideoPipeline | undefined;
  // Built after the pipeline (it needs the sessions and display); bound late.
  let cart: CartController | undefined;
  const hub = new StreamHub({
    viewerQueueFrames: config.webrtc.viewerQueueFrames,
    requestKeyframe: () => pipeline?.requestKeyframe(),
  });
  pipeline = new VideoPipeline({
    source,
    encoder,
    width: config.source.width,
    height: config.source.height,
    makeSlate: (condition, width, height, seq, timeMs) => ({
      width,
      height,
      seq,
      captureTimeMs: timeMs,
      data: renderSlate(width, height, condition, { seq, timeMs }),
    }),
    publish: (au) => hub.publish(au),
    filter: mask.filter,
    mappedFilter: mask.mappedFilter,
    onCondition: (c) => cart?.setSourceCondition(c),
    log,
  });

  const viewers = new WeriftViewerFactory({ hub, webrtc: config.webrtc, log, profileLevelId: streamProfileLevelId(settings) });
  const sessions = new SessionManager({
    policy: { linkTtlMs: config.session.linkTtlMs, maxViewers: config.session.maxViewers },
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
  });

  // Hotspot mode opens the access point (fresh passphrase) when a session starts, inside
  // sessions.start(), and closes it when the session ends; clinic mode may serve HTTPS.
  const network = createNetworkMode(config.network, {
    runtimeDir: deps.runtimeDir ?? '/run/sonobox',
    maxViewers: config.session.maxViewers,
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    commands: deps.networkCommands,
    probe: deps.networkProbe,
    // The session's links point at the hotspot's address: end it, so the cart says so and
    // the next press issues a link on the LAN.
    onFallbackToClinic: () => void sessions.end('the Wi-Fi hotspot could not start; press again to share over the clinic network'),
  });
  sessions.onChange((s) => network.sessionActive(s.state === 'active'));

  // Per-session DTLS keys (RAM only): made when a session becomes active, before its
  // first link is built (onChange runs synchronously inside sessions.start()), dropped
  // when it ends. The link pins the certificate: the page refuses any other answer.
  sessions.onChange((s) => {
    if (s.state !== 'active') viewers.clearSessionKeys();
    else if (viewers.sessionFingerprint() === undefined) viewers.newSessionKeys();
  });

  let port = 0;
  // Per link, not once: network mode 'auto' can fall back from the hotspot to the LAN.
  const baseUrl = (): string => network.baseUrl(port, publicHost(config));
  /** The stable link format: `<base>/v#t=<token>&f=<base64url SHA-256 of the box's DTLS certificate>`. */
  const linkFor = (token: string): string => {
    const f = viewers.sessionFingerprint();
    return `${baseUrl()}/v#t=${token}${f === undefined ? '' : `&f=${f}`}`;
  };
  const status = (): object => {
    const p = pipeline!.status();
    return {
      board: board.board,
      source: p.source,
      encoder: { ...p.encoder, kind: board.encoder.kind, reason: board.encoder.reason },
      stream: { framesIn: p.framesIn, accessUnitsOut: p.accessUnitsOut, bytesOut: p.bytesOut, readers: hub.readerCount },
    };
  };

  const display = openCartDisplay(config.cart);
  const cartSessions = sessionManagerForCart(sessions, linkFor);
  const issueLink = cartSessions.issueLink.bind(cartSessions);
  let lastLink: string | undefined;
  cartSessions.issueLink = () => {
    const r = issueLink();
    if (r.ok) {
      lastLink = r.link;
      deps.onLink?.(r.link);
    }
    return r;
  };
  cart = new CartController({
    display,
    button: openCartButton(config.cart, { info: (m) => logger.info(m), warn: (m) => logger.warn(m) }),
    sessions: cartSessions,
    language: config.cart.language,
    limits: cartLimitsOf(config.cart),
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    wifi: network.wifi,
    configProblem: deps.configProblem,
  });

  const server = buildServer({
    sessions,
    viewers,
    status,
    webUiDir,
    linkFor,
    logger,
    https: network.https,
  });
  registerMaskPreview(server, mask);
  if (display instanceof PngDisplay) {
    // Dev mode: the cart screen (it may show a link's QR) is served to the box itself
    // only, from memory; it is never written to a file.
    server.get('/api/cart.png', async (req, reply) => {
      const png = display.latestPng();
      if (!isLoopback(req.socket.remoteAddress)) return reply.code(403).send({ error: 'not-from-box', message: 'The cart screen is shown only on the box itself.' });
      if (!png) return reply.code(404).send({ error: 'no-screen', message: 'The cart has not drawn a screen yet.' });
      return reply.type('image/png').send(png);
    });
  }

  return {
    server,
    sessions,
    pipeline,
    hub,
    cart,
    board,
    status,
    async start() {
      const address = await server.listen({ port: config.http.port, host: config.http.host });
      const url = new URL(address);
      port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      cart!.start();
      pipeline!.start();
      return baseUrl();
    },
    async stop() {
      cart!.stop();
      await sessions.end('box shutting down');
      await network.close();
      sessions.dispose();
      await server.close();
      await pipeline!.stop();
      display.close();
    },
    share() {
      cart.press('share');
      return lastLink;
    },
  };
}

async function chooseBoard(config: Config, root?: string): Promise<BoardProbe> {
  if (config.encoder.spec === 'software') {
    return { board: 'any', encoder: { kind: 'software', reason: 'software encoder chosen in the configuration' } };
  }
  if (config.encoder.spec !== 'auto') {
    return { board: 'any', encoder: { kind: 'v4l2-m2m', device: config.encoder.spec, reason: 'encoder device chosen in the configuration' } };
  }
  return probeBoard(root);
}

function chooseEncoder(config: Config, board: BoardProbe, settings: EncoderSettings, log: (l: string) => void): H264Encoder {
  if (config.encoder.spec === 'software') return new SoftwareEncoder({ settings, log });
  if (config.encoder.spec !== 'auto') return new V4l2M2mEncoder({ device: config.encoder.spec, settings, codec: 'h264', log });
  return createEncoder(board, settings, log);
}

/**
 * 'auto' uses a capture dongle when one is plugged in (stable udev name, else a scanned
 * UVC node) and the test pattern otherwise, so `npm start` works on any PC.
 * mjpegDecoder: the board's M2M MJPEG decoder node (board probe); without it ffmpeg decodes MJPEG.
 */
function chooseSource(config: Config, stdin: Readable, log: (l: string) => void, mjpegDecoder?: string): FrameSource {
  const hw = mjpegDecoder ? { mjpegDecoder } : {};
  const { spec, width, height, fps } = config.source;
  if (spec === 'test-pattern') return new TestPatternSource({ width, height, fps });
  if (spec === 'test-pattern:speckle') return new TestPatternSource({ width, height, fps, speckle: true });
  if (spec === '-') return new StdinSource({ width, height, fps }, stdin);
  if (spec === 'auto') {
    const device = findCaptureDevice();
    if (!device) return new TestPatternSource({ width, height, fps });
    return new V4l2Source({ device, width, height, fps, log, ...hw });
  }
  if (spec.startsWith('/dev/')) return new V4l2Source({ device: spec, width, height, fps, log, ...hw });
  return new FileSource({ path: spec, width, height, fps });
}

/** The address a phone on the same network can reach: configured, else the first LAN IPv4. */
function publicHost(config: Config): string {
  if (config.http.publicHost) return config.http.publicHost;
  if (config.http.host !== '0.0.0.0' && config.http.host !== '::') return config.http.host;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
