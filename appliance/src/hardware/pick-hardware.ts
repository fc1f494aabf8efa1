/**
 * The one step that looks at the machine: which board this is, and from the configuration
 * and what is plugged in, the source, its sound, encoder, cart display, button, network mode and the
 * host put in links, each with the reason (logged here, shown in /api/status). main.ts
 * calls it and hands the result to buildApp, which only wires; tests build the same
 * Hardware from the configuration and swap in fakes.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { AudioSource } from '../audio/audio-frame.js';
import type { FrameSource } from '../capture/frame-source.js';
import type { Button } from '../cart/evdev-button.js';
import { defaultButtonDevice, EvdevButton, TerminalButton } from '../cart/evdev-button.js';
import type { Display } from '../cart/framebuffer-display.js';
import { defaultDisplayDevice, openFramebufferDisplay } from '../cart/framebuffer-display.js';
import { PngDisplay } from '../cart/png-display.js';
import type { Config } from '../config/config.js';
import { probeBoard, type BoardProbe } from '../encode/board-probe.js';
import { createEncoder } from '../encode/encoder-select.js';
import type { H264Encoder } from '../encode/h264-encoder.js';
import type { EncoderSettings } from '../media/encoder-settings.js';
import { probeWifi } from '../network/auto-mode.js';
import type { HotspotOptions } from '../network/hotspot.js';
import { createNetworkMode, type NetworkMode } from '../network/network-mode.js';
import type { Logger } from '../system/logger.js';
import { pickAudio } from './pick-audio.js';
import { pickSource } from './pick-source.js';

/** A device and why it was chosen. */
export interface Chosen<T> {
  readonly device: T;
  readonly reason: string;
}

export interface Hardware {
  /** The board and its encoder and MJPEG decoder choices, each with its reason. */
  readonly board: BoardProbe;
  readonly encoder: H264Encoder;
  /** What the encoder was asked for; the answer's profile-level-id is derived from it. */
  readonly encoderSettings: EncoderSettings;
  readonly source: Chosen<FrameSource>;
  /** The sound sent with the picture, undefined for none (pick-audio.ts). */
  readonly audio: Chosen<AudioSource | undefined>;
  readonly display: Chosen<Display>;
  readonly button: Chosen<Button>;
  /** Hotspot or clinic network (mode auto decided here, logged with its reason). */
  readonly network: NetworkMode;
  /** The host a phone on the same network reaches; asked per link, as DHCP may come late. */
  readonly linkHost: () => Chosen<string>;
}

export interface HardwareEnv {
  readonly logger: Logger;
  /** Filesystem root holding sys/, proc/ and dev/ (default '/'; tests pass a fake tree). */
  readonly root?: string;
  /** Where `--source -` reads raw I420 frames (default process.stdin). */
  readonly stdin?: Readable;
  /** RAM-only directory for the hotspot's files (main.ts: $RUNTIME_DIRECTORY). */
  readonly runtimeDir?: string;
  /** The hotspot's programs: names on $PATH (default) or paths. */
  readonly hotspotCommands?: HotspotOptions['commands'];
  /** The machine's network interfaces (default os.networkInterfaces). */
  readonly interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export async function pickHardware(config: Config, env: HardwareEnv): Promise<Hardware> {
  const root = env.root ?? '/';
  const logger = env.logger;
  const log = (line: string): void => logger.info(line);
  const tag = (c: string): Logger => logger.child({ c });

  const board = await pickBoard(config, root);
  log(`Board: ${board.board}; encoder: ${board.encoder.kind}${board.encoder.device ? ` ${board.encoder.device}` : ''} (${board.encoder.reason})`);
  const settings: EncoderSettings = {
    width: config.source.width,
    height: config.source.height,
    fps: config.source.fps,
    bitrateBps: config.encoder.bitrateBps,
    keyframeInterval: Math.max(1, Math.round(config.encoder.keyframeIntervalS * config.source.fps)),
  };
  // pickBoard already turned an explicit encoder setting into the board's encoder choice.
  const encoder = createEncoder(board, settings, tag('encoder'));

  const picked = pickSource(config, { root, stdin: env.stdin ?? process.stdin, logger: tag('capture'), ...(board.mjpegDecoder?.device ? { mjpegDecoder: board.mjpegDecoder.device } : {}) });
  log(`Source: ${picked.source.description} (${picked.reason})`);
  const audio = pickAudio(config, picked.source, { root, logger: tag('audio') });
  log(`Sound: ${audio.source?.description ?? 'none'} (${audio.reason})`);

  const display = pickDisplay(config.cart, root);
  const button = pickButton(config.cart, tag('button'));
  log(`Cart: ${display.device.description} (${display.reason}); ${button.device.description} (${button.reason})`);

  const network = createNetworkMode(config.network, {
    runtimeDir: env.runtimeDir ?? '/run/sonobox',
    maxViewers: config.session.maxViewers,
    log: tag('network'),
    ...(env.hotspotCommands ? { commands: env.hotspotCommands } : {}),
    probe: () => probeWifi({ sysRoot: join(root, 'sys'), ...(env.hotspotCommands ? { commands: env.hotspotCommands } : {}) }),
  });
  const interfaces = env.interfaces ?? networkInterfaces;
  return { board, encoder, encoderSettings: settings, source: { device: picked.source, reason: picked.reason }, audio: { device: audio.source, reason: audio.reason }, display, button, network, linkHost: () => linkHost(config.http, interfaces()) };
}

async function pickBoard(config: Config, root: string): Promise<BoardProbe> {
  if (config.encoder.spec === 'software') return { board: 'any', encoder: { kind: 'software', reason: 'software encoder chosen in the configuration' } };
  if (config.encoder.spec !== 'auto') return { board: 'any', encoder: { kind: 'v4l2-m2m', device: config.encoder.spec, reason: 'encoder device chosen in the configuration' } };
  return probeBoard(root);
}

/**
 * The framebuffer on the appliance, a PNG on a PC. The PNG lives in memory only (served
 * to the box itself at /api/cart.png): the sharing screen carries a link's QR code, so it
 * must never be written to a file.
 */
export function pickDisplay(c: Config['cart'], root = '/'): Chosen<Display> {
  if (c.display === 'png') return { device: new PngDisplay(c.pngWidth, c.pngHeight), reason: 'no physical display chosen in the configuration' };
  if (c.display === 'auto' && !existsSync(defaultDisplayDevice)) return { device: new PngDisplay(c.pngWidth, c.pngHeight), reason: `no ${defaultDisplayDevice}: the screen is kept in memory (GET /api/cart.png on the box)` };
  const path = c.display === 'auto' ? defaultDisplayDevice : c.display;
  return { device: openFramebufferDisplay(path, join(root, 'sys')), reason: c.display === 'auto' ? `udev's stable name ${defaultDisplayDevice}` : 'display device chosen in the configuration' };
}

/** The evdev button on the appliance, terminal keys on a PC. */
export function pickButton(c: Config['cart'], log: Pick<Logger, 'info' | 'warn'>): Chosen<Button> {
  if (c.button === 'terminal') return { device: new TerminalButton(), reason: 'terminal keys chosen in the configuration' };
  if (c.button === 'auto' && !existsSync(defaultButtonDevice)) return { device: new TerminalButton(), reason: `no ${defaultButtonDevice}: space shares, e ends, in the terminal` };
  const path = c.button === 'auto' ? defaultButtonDevice : c.button;
  const timing = { debounceMs: c.debounceMs, longPressMs: c.longPressMs, doublePressMs: c.doublePressMs };
  return { device: new EvdevButton({ path, keyCode: c.buttonKeyCode, timing, log }), reason: c.button === 'auto' ? `udev's stable name ${defaultButtonDevice}` : 'button device chosen in the configuration' };
}

/** The address a phone on the same network can reach: configured, else the first LAN IPv4. */
export function linkHost(http: Config['http'], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Chosen<string> {
  if (http.publicHost) return { device: http.publicHost, reason: 'public host chosen in the configuration' };
  if (http.host !== '0.0.0.0' && http.host !== '::') return { device: http.host, reason: 'the address the box listens on' };
  for (const [name, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return { device: a.address, reason: `the first LAN address, on ${name}` };
  }
  return { device: '127.0.0.1', reason: 'no LAN address yet: only this machine can open the link' };
}
