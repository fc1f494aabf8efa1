/**
 * buildApp wires the box from its configuration and the hardware picked for it
 * (hardware/pick-hardware.ts): source → (mask) → encoder → stream hub → one werift peer
 * per viewer, sessions and one-time links, the HTTP server and the cart. It reads nothing
 * from the machine and returns an unstarted App; only main.ts picks the hardware, listens
 * on the network, prints and talks to systemd. Tests build the same App from the same
 * kind of Hardware, with fakes where they need them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { renderSlate } from './capture/slate.js';
import { CartController } from './cart/cart-controller.js';
import { defaultCartLimits } from './cart/cart-lifecycle.js';
import { sessionManagerForCart } from './cart/cart-sessions.js';
import { PngDisplay } from './cart/png-display.js';
import type { Config } from './config/config.js';
import type { BoardProbe } from './encode/board-probe.js';
import type { Hardware } from './hardware/pick-hardware.js';
import { buildServer, machineAddresses } from './http/server.js';
import { MaskFilter } from './mask/mask-filter.js';
import { activePreset, NO_MASK } from './mask/mask-presets.js';
import { maskPreviewPicture } from './mask/mask-preview.js';
import { streamProfileLevelId } from './encode/v4l2-m2m-encoder-controls.js';
import { AudioPipeline } from './pipeline/audio-pipeline.js';
import { VideoPipeline } from './pipeline/video-pipeline.js';
import { SessionManager } from './sessions/session-manager.js';
import { AudioHub } from './stream/audio-hub.js';
import { StreamHub } from './stream/stream-hub.js';
import type { Logger, ProcessLogger } from './system/logger.js';
import { WeriftViewerFactory } from './webrtc/werift-viewer-factory.js';

/** The built viewer page (npm run build:ui). */
export const webUiDir = join(dirname(fileURLToPath(import.meta.url)), '../../web-ui/dist');

export interface AppDeps {
  readonly config: Config;
  readonly logger: ProcessLogger;
  /** What the box runs on: main.ts gets it from pickHardware(); tests too, with fakes swapped in. */
  readonly hardware: Hardware;
  /** Called with every link the box issues (main prints it; tests open it). */
  readonly onLink?: (link: string) => void;
  /** A settings-file problem for the cart's idle screen (config/config-file.ts problemSummary). */
  readonly configProblem?: string;
}

export interface App {
  readonly server: FastifyInstance;
  readonly sessions: SessionManager;
  readonly pipeline: VideoPipeline;
  /** The sound beside the picture: opened once video streams, muted at the box from the cart. */
  readonly audio: AudioPipeline;
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

/** The host the box's links name ('' if it cannot be worked out right now: then only addresses count). */
function linkHostName(baseUrl: () => string): string {
  try {
    return new URL(baseUrl()).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

export function buildApp(deps: AppDeps): App {
  const { config, logger, hardware } = deps;
  const { board, encoder, network } = hardware;
  const source = hardware.source.device;
  const display = hardware.display.device;
  // Each module logs under its component tag (one line per change, at its level).
  const tag = (c: string): Logger => logger.child({ c });

  // Throws ConfigError for an unknown preset name. Every live frame is masked before encode().
  const mask = new MaskFilter({ preset: activePreset(config.mask.preset), logger: tag('mask') });
  // Keyframe requests (a new viewer, a PLI) go straight to the encoder.
  const hub = new StreamHub({ viewerQueueFrames: config.webrtc.viewerQueueFrames, requestKeyframe: () => encoder.requestKeyframe() });
  // The sound: each Opus packet becomes RTP once, for every viewer (none: audio answered inactive).
  const audioHub = hardware.audio.device ? new AudioHub() : undefined;
  const audio = new AudioPipeline({ source: hardware.audio.device, publish: (p) => audioHub?.publish(p), logger: tag('audio') });
  const webrtcLog = tag('webrtc'); // webrtc/ still takes a line function (issue 11 splits that file)
  const viewers = new WeriftViewerFactory({ hub, ...(audioHub ? { audio: audioHub } : {}), webrtc: config.webrtc, log: (line) => webrtcLog.info(line), profileLevelId: streamProfileLevelId(hardware.encoderSettings) });
  const sessions = new SessionManager({ policy: { linkTtlMs: config.session.linkTtlMs, maxViewers: config.session.maxViewers }, log: tag('sessions') });

  // Hotspot mode opens the access point (fresh passphrase) when a session starts, inside
  // sessions.start(), and closes it when the session ends; clinic mode may serve HTTPS.
  sessions.onChange((s) => network.sessionActive(s.state === 'active'));
  // The session's links point at the hotspot's address: end it, so the cart says so and
  // the next press issues a link on the LAN.
  network.onFallbackToClinic(() => void sessions.end('the Wi-Fi hotspot could not start; press again to share over the clinic network'));

  // Per-session DTLS keys (RAM only): made when a session becomes active, before its
  // first link is built (onChange runs synchronously inside sessions.start()), dropped
  // when it ends. The link pins the certificate: the page refuses any other answer.
  sessions.onChange((s) => {
    if (s.state !== 'active') viewers.clearSessionKeys();
    else if (viewers.sessionFingerprint() === undefined) viewers.newSessionKeys();
  });

  let port = 0;
  // Per link, not once: network mode 'auto' can fall back from the hotspot to the LAN.
  const baseUrl = (): string => network.baseUrl(port, hardware.linkHost().device);
  /** The stable link format: `<base>/v#t=<token>&f=<base64url SHA-256 of the box's DTLS certificate>`. */
  const linkFor = (token: string): string => {
    const f = viewers.sessionFingerprint();
    return `${baseUrl()}/v#t=${token}${f === undefined ? '' : `&f=${f}`}`;
  };

  let lastLink: string | undefined;
  const cart = new CartController({
    display,
    button: hardware.button.device,
    sessions: sessionManagerForCart(sessions, linkFor, (link) => {
      lastLink = link;
      deps.onLink?.(link);
    }),
    language: config.cart.language,
    limits: { ...defaultCartLimits, maxSessionMs: config.cart.maxSessionMs, noViewerMs: config.cart.noViewerMs },
    log: tag('cart'),
    wifi: network.wifi,
    configProblem: deps.configProblem,
    maskOff: config.mask.preset === NO_MASK,
    onMuteGesture: () => audio.setMuted(!audio.isMuted),
  });
  cart.setSound(audio.share);
  audio.onShareChange((share) => cart.setSound(share));

  const pipeline = new VideoPipeline({
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
    onCondition: (c) => {
      cart.setSourceCondition(c);
      audio.videoCondition(c); // the sound opens once the video streams; video never waits for it
    },
    logger: tag('pipeline'),
  });

  const status = (): object => {
    const p = pipeline.status();
    return {
      board: board.board,
      source: { ...p.source, reason: hardware.source.reason },
      encoder: { ...p.encoder, kind: board.encoder.kind, reason: board.encoder.reason },
      audio: { ...audio.status(), reason: hardware.audio.reason },
      cart: { display: { description: display.description, reason: hardware.display.reason }, button: { description: hardware.button.device.description, reason: hardware.button.reason } },
      stream: { framesIn: p.framesIn, accessUnitsOut: p.accessUnitsOut, bytesOut: p.bytesOut, readers: hub.readerCount },
    };
  };

  const server = buildServer({
    sessions,
    viewers,
    audio,
    status,
    webUiDir,
    linkFor,
    logger,
    https: network.https,
    whepBearer: config.session.whepBearer,
    // The names a phone's browser may send as Host: the box's addresses, the host its links
    // name (a DNS name or mDNS .local when configured), and the TLS certificate's name.
    hosts: {
      known: () => [...machineAddresses(), linkHostName(baseUrl), ...(config.network.clinic.hostname ? [config.network.clinic.hostname] : [])],
    },
    maskPreview: (waitMs) => maskPreviewPicture(mask, waitMs),
    // Dev display: the screen lives in memory and is served to the box itself only.
    ...(display instanceof PngDisplay ? { cartScreen: () => display.latestPng() } : {}),
  });

  return {
    server,
    sessions,
    pipeline,
    audio,
    hub,
    cart,
    board,
    status,
    async start() {
      const address = await server.listen({ port: config.http.port, host: config.http.host });
      const url = new URL(address);
      port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      cart.start();
      pipeline.start();
      return baseUrl();
    },
    async stop() {
      cart.stop();
      await sessions.end('box shutting down');
      await network.close();
      sessions.dispose();
      await server.close();
      await pipeline.stop();
      await audio.stop();
      display.close();
    },
    share() {
      cart.press('share');
      return lastLink;
    },
  };
}
