/**
 * Every setting of the box, one row each: where it lives in the configuration, its kind
 * (range or choices), its default, its command-line flag, its sonobox.toml key and one
 * line of help. Everything else is derived from this table: `defaultConfig`, the checks of
 * `validateConfig`, the command-line parser and `--help` (cli.ts), the settings-file reader
 * (config-file.ts); a test checks the commented template image-build/sonobox.toml against
 * it. To add a setting, add a row (and its field to `Config`).
 *
 * A row without a flag or a file key is a tunable only code sets; its default and range
 * still live here.
 */
import { defaultPressTiming } from '../cart/button.js';
import { defaultCartLimits } from '../cart/cart-lifecycle.js';
import { keyCodes } from '../cart/evdev.js';
import { languages, type Language } from '../cart/messages.js';
import { activePreset, DEFAULT_MASK, NO_MASK, WITHHOLD_ALL } from '../mask/mask-presets.js';
import { COUNTRY_CODE, HOTSPOT_CHANNELS, IFNAME, ssidProblem } from '../network/hostapd-config.js';
import { BearerPolicy } from '../credentials/link-credential.js';
import { ConfigError } from './config-error.js';
import type { Config } from './config.js';
import { checkedText, oneOf, optional, orderedPair, pictureSize, presence, text, wholeNumber, type Kind } from './setting-kinds.js';

export interface Setting<T = unknown> {
  /** Where the value lives in Config, e.g. 'session.maxViewers' (named in --help's errors). */
  readonly name: string;
  readonly kind: Kind<T>;
  readonly default: T;
  /** What it does, one line, for --help and the template. */
  readonly help: string;
  readonly flag?: {
    readonly name: string;
    /** What follows the flag in --help ('N', '<auto|software|DEVICE>'); none for a switch. */
    readonly arg?: string;
    /** Configuration units per unit written (--link-ttl is in seconds, the config in ms). */
    readonly scale?: number;
    /** May be given more than once; each adds to the list. */
    readonly repeatable?: boolean;
  };
  readonly file?: {
    /** 'section.key', or 'key' at the top level. */
    readonly key: string;
    readonly scale?: number;
  };
  /**
   * What the box uses when the file's value for this key cannot be used, if not the
   * default, and the words the cart shows for it. Privacy settings fail closed: an
   * unusable mask preset withholds every frame.
   */
  readonly unusable?: { readonly value: T; readonly says: string };
  get(c: Config): T;
  set(c: Config, v: T): void;
}

/** Dotted paths to the leaves of Config ('http.port'); a tuple or array is a leaf. */
type Leaf = string | number | boolean | readonly unknown[];
type Paths<T, P extends string = ''> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends Leaf ? `${P}${K}` : Paths<NonNullable<T[K]>, `${P}${K}.`>;
}[keyof T & string];
type At<T, P extends string> = P extends `${infer A}.${infer B}` ? At<NonNullable<T[A & keyof T]>, B> : T[P & keyof T];

/** A row for the one Config field at `path`. */
function field<P extends Paths<Config>>(path: P, row: Omit<Setting<At<Config, P>>, 'name' | 'get' | 'set'>): Setting {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = (c: Config): Record<string, unknown> => keys.reduce<Record<string, unknown>>((o, k) => (o[k] ??= {}) as Record<string, unknown>, c as unknown as Record<string, unknown>);
  return {
    ...row,
    name: path,
    get: (c) => parent(c)[last],
    set: (c, v) => {
      parent(c)[last] = v;
    },
  } as Setting;
}

/** A row that spans several Config fields (a picture size, a pair of delays); `set` may meet an empty Config (defaults). */
function compound<T>(row: Setting<T>): Setting {
  return row as Setting;
}

/**
 * Names a button can be given in button.key, with their input-event-codes.h values.
 * Any other key is written as its number (e.g. key = 30 for KEY_A).
 */
export const buttonKeyNames: Readonly<Record<string, number>> = {
  ...keyCodes,
  KEY_ESC: 1,
  KEY_1: 2,
  KEY_A: 30,
  KEY_B: 48,
  KEY_PAGEUP: 104,
  KEY_PAGEDOWN: 109,
  KEY_PLAY: 207,
  KEY_PLAYPAUSE: 164,
  KEY_PROG1: 148,
  KEY_PROG2: 149,
  KEY_F13: 183,
  KEY_F14: 184,
  KEY_F15: 185,
  BTN_0: 0x100,
  BTN_1: 0x101,
  BTN_LEFT: 0x110,
  BTN_TRIGGER: 0x120,
};
/** KEY_MAX in input-event-codes.h. */
const keyMax = 0x2ff;

/** An evdev key: a name from buttonKeyNames (any case) or its number. */
const evdevKey: Kind<number> = {
  read(input) {
    const code = typeof input === 'string' ? buttonKeyNames[input.toUpperCase()] : input;
    if (typeof code === 'number' && Number.isInteger(code) && code > 0 && code <= keyMax) return { ok: true, value: code };
    return { ok: false, why: `must be an evdev key name such as "KEY_ENTER", "KEY_SPACE", "KEY_PROG1", "KEY_F13", "BTN_0", or a key number from 1 to ${keyMax} (got ${typeof input === 'string' ? `"${input}"` : String(input)})` };
  },
  check: (v) => (Number.isInteger(v) && v > 0 && v <= keyMax ? undefined : `must be a key number from 1 to ${keyMax} (got ${v})`),
  describe: () => `an evdev key name ("KEY_ENTER", "KEY_PROG1", "BTN_0", …) or a key number from 1 to ${keyMax}`,
  show: (v) => Object.keys(buttonKeyNames).find((n) => buttonKeyNames[n] === v) ?? String(v),
};

/** A mask preset that exists (mask/presets/), or none. */
const maskPreset: Kind<string> = {
  read(input) {
    if (typeof input !== 'string') return { ok: false, why: `must be a preset name in quotes (got ${String(input)})` };
    const why = maskPreset.check(input);
    return why ? { ok: false, why } : { ok: true, value: input };
  },
  check(v) {
    if (v === WITHHOLD_ALL) return undefined; // what an unusable file value becomes (fail closed)
    try {
      activePreset(v);
      return undefined;
    } catch (e) {
      if (e instanceof ConfigError) return e.message.replace(/^mask\.preset /, '');
      throw e;
    }
  },
  describe: () => `a preset name such as "generic-top-banner" (appliance/src/mask/presets/), or "${NO_MASK}"`,
  show: (v) => v,
};

const seconds = 1000;
const minutes = 60_000;
const devicePath = { test: (s: string) => s.startsWith('/dev/') && s.length > 5, what: 'a device path starting with /dev/' };
const anyPath = { test: (s: string) => s.startsWith('/') && s.length > 1, what: 'a device path (or, for tests, a FIFO) starting with /' };
const videoFile = { test: (s: string) => devicePath.test(s) || (/[./]/.test(s) && !s.startsWith('-')), what: 'a capture device path starting with /dev/, or a video file path' };
const fileName = checkedText('a file path', (s) => (s === '' ? 'it is empty' : undefined));
/** An ALSA PCM name: a type and its arguments, e.g. plughw:CARD=MS2109,DEV=0 or hw:1,0. */
const alsaDevice = { test: (s: string) => /^[a-z]+:[A-Za-z0-9_=,.-]+$/.test(s), what: 'an ALSA capture device such as "plughw:CARD=MS2109,DEV=0" or "hw:1,0"' };
const ipAddress = text(/^[0-9A-Fa-f.:]+$/, 'an IP address such as 0.0.0.0 or 127.0.0.1');

/** The table. Order is the order of --help. */
export const settings: readonly Setting[] = [
  field('appliance', {
    kind: presence,
    default: false,
    help: 'run as the cart appliance (the systemd unit passes it): source auto then means capture, never the test pattern',
    flag: { name: '--appliance' },
  }),
  field('source.spec', {
    kind: oneOf({ auto: 'auto', capture: 'capture', 'test-pattern': 'test-pattern', 'test-pattern:speckle': 'test-pattern:speckle', '-': '-' }, videoFile),
    default: 'auto',
    help: 'where pictures come from: capture (the dongle, with the "no capture device" slate until it is plugged in), auto (capture with --appliance; on a PC the dongle if plugged in at start, else the test pattern), test-pattern (:speckle adds noise that uses the full bitrate), - (raw I420 on stdin), a video file (looped), or a V4L2 device',
    flag: { name: '--source', arg: '<auto|capture|test-pattern|-|FILE|/dev/videoN>' },
    file: { key: 'source.device' },
  }),
  compound({
    name: 'source.size',
    kind: pictureSize,
    default: { width: 1280, height: 720 },
    help: 'picture size sent to phones',
    flag: { name: '--size', arg: 'WxH' },
    file: { key: 'source.size' },
    get: (c) => ({ width: c.source.width, height: c.source.height }),
    set: (c, v) => Object.assign((c.source ??= {} as Config['source']), v),
  }),
  field('source.fps', { kind: wholeNumber(1, 120), default: 30, help: 'frames per second', flag: { name: '--fps', arg: 'N' }, file: { key: 'source.fps' } }),
  field('audio.device', {
    kind: oneOf({ auto: 'auto', none: 'none' }, alsaDevice),
    default: 'auto',
    help: 'sound sent with the picture: auto (the capture dongle\'s own sound card, opened once video streams; the test pattern\'s heartbeat tone; a video file\'s audio track; none for -), none, or an ALSA capture device',
    flag: { name: '--audio', arg: '<auto|none|ALSA-DEVICE>' },
    file: { key: 'audio.device' },
  }),
  field('encoder.spec', {
    kind: oneOf({ auto: 'auto', software: 'software' }, devicePath),
    default: 'auto',
    help: 'H.264 encoder: auto (the board\'s hardware encoder if it has one), software, or a V4L2 M2M device',
    flag: { name: '--encoder', arg: '<auto|software|DEVICE>' },
    file: { key: 'encoder.device' },
  }),
  field('encoder.bitrateBps', { kind: wholeNumber(100_000, 50_000_000), default: 4_000_000, help: 'target bitrate', flag: { name: '--bitrate', arg: 'BPS' }, file: { key: 'encoder.bitrate_kbps', scale: 1000 } }),
  field('encoder.keyframeIntervalS', { kind: wholeNumber(1, 60), default: 2, help: 'periodic IDR interval in seconds (IDRs on request come on top)' }),
  field('http.port', { kind: wholeNumber(0, 65_535), default: 8080, help: 'HTTP port; 0 picks a free one (printed as "Listening on port N")', flag: { name: '--port', arg: 'N' }, file: { key: 'http.port' } }),
  field('http.host', { kind: ipAddress, default: '0.0.0.0', help: 'address to listen on', flag: { name: '--host', arg: 'ADDR' } }),
  field('http.publicHost', {
    kind: text(/^[A-Za-z0-9.:[\]-]*$/, 'a host name or address such as "sonobox.local" or "192.168.1.20", or "" for the box\'s own address'),
    default: '',
    help: 'host name or address put in links; empty: the box\'s own LAN address',
    flag: { name: '--public-host', arg: 'NAME' },
    file: { key: 'http.public_host' },
  }),
  compound({
    name: 'webrtc.playoutDelay',
    // The RTP extension carries 12-bit values in 10 ms units: at most 40950 ms.
    kind: orderedPair(',', 0, 40_950, '0,0 or 20,100', true),
    default: [0, 0],
    help: 'playout-delay extension in ms (0,0 asks for no jitter buffer; raise it for jittery Wi-Fi)',
    flag: { name: '--playout-delay', arg: 'MIN,MAX' },
    get: (c): [number, number] => [c.webrtc.playoutDelayMinMs, c.webrtc.playoutDelayMaxMs],
    set: (c, [min, max]) => Object.assign((c.webrtc ??= {} as Config['webrtc']), { playoutDelayMinMs: min, playoutDelayMaxMs: max }),
  }),
  field('webrtc.extraHostAddresses', {
    kind: list(ipAddress),
    default: [],
    help: 'extra host address to offer as an ICE candidate (repeatable; 127.0.0.1 for loopback tests)',
    flag: { name: '--ice-host', arg: 'ADDR', repeatable: true },
  }),
  field('webrtc.icePortRange', {
    kind: optional(orderedPair('-', 1024, 65_535, '40000-40099', false)),
    default: undefined,
    help: 'UDP ports for WebRTC media, inclusive (what a NAT forward or firewall rule names); default any free port',
    flag: { name: '--ice-ports', arg: 'MIN-MAX' },
  }),
  field('webrtc.viewerQueueFrames', { kind: wholeNumber(2, 600), default: 30, help: 'access units a slow viewer may have queued before it drops to the next IDR' }),
  field('session.maxViewers', { kind: wholeNumber(1, 16), default: 1, help: 'devices that may watch one session at once, one link each', flag: { name: '--max-viewers', arg: 'N' }, file: { key: 'session.max_viewers' } }),
  field('session.linkTtlMs', {
    kind: wholeNumber(10 * seconds, 24 * 60 * minutes),
    default: 10 * minutes,
    help: 'seconds an unused link lives',
    flag: { name: '--link-ttl', arg: 'SECONDS', scale: seconds },
    file: { key: 'session.link_ttl_s', scale: seconds },
  }),
  field('session.whepBearer', {
    kind: oneOf(BearerPolicy),
    default: BearerPolicy.tls,
    help: 'where standard WHEP players may send the link token as "Authorization: Bearer": never; tls (only over the box\'s own HTTPS); always (also plain HTTP and the hotspot, where anyone who sees the traffic can take the link: lab use only). The viewer page never sends it',
    flag: { name: '--whep-bearer', arg: 'never|tls|always' },
    file: { key: 'session.whep_bearer' },
  }),
  field('cart.maxSessionMs', { kind: wholeNumber(1 * minutes, 24 * 60 * minutes), default: defaultCartLimits.maxSessionMs, help: 'minutes after which a session ends, watched or not', file: { key: 'session.max_duration_min', scale: minutes } }),
  field('cart.noViewerMs', { kind: wholeNumber(1 * minutes, 24 * 60 * minutes), default: defaultCartLimits.noViewerMs, help: 'a session with no viewer for this long ends' }),
  field('network.mode', {
    kind: oneOf({ clinic: 'clinic', hotspot: 'hotspot', auto: 'auto' } as const),
    default: 'clinic',
    help: 'clinic (the clinic network), hotspot (the box\'s own Wi-Fi), or auto (hotspot when the board has Wi-Fi and hostapd+dnsmasq)',
    flag: { name: '--network', arg: 'clinic|hotspot|auto' },
    file: { key: 'network.mode' },
  }),
  field('network.hotspot.interface', { kind: text(IFNAME, 'an interface name such as "wlan0"'), default: 'wlan0', help: 'hotspot Wi-Fi interface', flag: { name: '--wifi-interface', arg: 'IF' }, file: { key: 'network.wifi_interface' } }),
  field('network.hotspot.ssid', { kind: checkedText('a network name of 1 to 32 bytes', ssidProblem), default: 'sonobox', help: 'hotspot network name phones see', flag: { name: '--wifi-ssid', arg: 'NAME' }, file: { key: 'network.wifi_ssid' } }),
  field('network.hotspot.channel', { kind: wholeNumber(HOTSPOT_CHANNELS.min, HOTSPOT_CHANNELS.max), default: 6, help: 'hotspot 2.4 GHz channel', flag: { name: '--wifi-channel', arg: 'N' }, file: { key: 'network.wifi_channel' } }),
  field('network.hotspot.countryCode', { kind: text(COUNTRY_CODE, 'two letters such as "US" or "DE"', (s) => s.toUpperCase()), default: 'US', help: 'country whose radio rules the hotspot follows', flag: { name: '--wifi-country', arg: 'CC' }, file: { key: 'network.wifi_country' } }),
  field('network.clinic.certFile', { kind: optional(fileName), default: undefined, help: 'clinic mode over HTTPS (with HSTS): PEM certificate; needs --tls-key and --tls-hostname', flag: { name: '--tls-cert', arg: 'FILE' }, file: { key: 'network.tls_cert' } }),
  field('network.clinic.keyFile', { kind: optional(fileName), default: undefined, help: 'PEM private key for --tls-cert', flag: { name: '--tls-key', arg: 'FILE' }, file: { key: 'network.tls_key' } }),
  field('network.clinic.hostname', { kind: optional(text(/^[A-Za-z0-9.-]+$/, 'a host name such as "sonobox.clinic.example"')), default: undefined, help: 'the clinic-owned host name the certificate is for', flag: { name: '--tls-hostname', arg: 'NAME' }, file: { key: 'network.tls_hostname' } }),
  field('cart.language', { kind: oneOf(Object.fromEntries(languages.map((l) => [l, l])) as Record<string, Language>), default: 'en', help: 'language of the cart display', flag: { name: '--language', arg: languages.join('|') }, file: { key: 'language' } }),
  field('cart.display', {
    kind: oneOf({ auto: 'auto', none: 'png', png: 'png' }, devicePath),
    default: 'auto',
    help: 'cart display: auto (/dev/sonobox/display, else a PNG in memory at /api/cart.png), none or png (no physical display), or a framebuffer device',
    flag: { name: '--display', arg: '<auto|png|/dev/fbN>' },
    file: { key: 'display.device' },
  }),
  field('cart.pngWidth', { kind: wholeNumber(64, 4096), default: 480, help: 'width of the in-memory cart screen' }),
  field('cart.pngHeight', { kind: wholeNumber(64, 4096), default: 320, help: 'height of the in-memory cart screen' }),
  field('cart.button', {
    kind: oneOf({ auto: 'auto', none: 'terminal', terminal: 'terminal' }, anyPath),
    default: 'auto',
    help: 'cart button: auto (/dev/sonobox/button, else terminal keys), none or terminal (keys in the terminal), or an evdev device',
    flag: { name: '--button', arg: '<auto|terminal|PATH>' },
    file: { key: 'button.device' },
  }),
  field('cart.buttonKeyCode', { kind: evdevKey, default: keyCodes.KEY_ENTER, help: 'key that shares (hold it 2 s to end the session)', file: { key: 'button.key' } }),
  field('cart.longPressMs', { kind: wholeNumber(300, 10_000), default: defaultPressTiming.longPressMs, help: 'a press held this long ends the session' }),
  field('cart.doublePressMs', { kind: wholeNumber(0, 1000), default: defaultPressTiming.doublePressMs, help: 'two presses this close mute or unmute the sound for everyone (a single press waits this long before sharing); 0 turns the gesture off' }),
  field('cart.debounceMs', { kind: wholeNumber(0, 500), default: defaultPressTiming.debounceMs, help: 'contact bounce ignored after a press or release' }),
  field('mask.preset', {
    kind: maskPreset,
    default: DEFAULT_MASK,
    unusable: { value: WITHHOLD_ALL, says: 'until it is fixed no picture is sent' },
    help: `PHI mask preset for the scanner (default ${DEFAULT_MASK}, the top 12 %; ${NO_MASK} masks nothing and the cart says so at every session start; set up with GET /api/mask-preview.png on the box)`,
    flag: { name: '--mask-preset', arg: 'NAME' },
    file: { key: 'mask.preset' },
  }),
];

/** A repeatable value: each occurrence is one item. */
function list(item: Kind<string>): Kind<string[]> {
  return {
    read: (input, from, scale) => {
      const r = item.read(input, from, scale);
      return r.ok ? { ok: true, value: [r.value] } : r;
    },
    check: (v) => v.map((x) => item.check(x)).find((w) => w !== undefined),
    describe: (scale) => item.describe(scale),
    show: (v) => v.join(' '),
  };
}

/** Problems that involve more than one row; undefined when there are none. */
export function crossCheck(c: Config): string | undefined {
  const tls = c.network.clinic;
  const given = [tls.certFile, tls.keyFile, tls.hostname].filter((v) => v !== undefined && v !== '').length;
  if (given !== 0 && given !== 3) return 'HTTPS needs all three of --tls-cert, --tls-key and --tls-hostname (network.tls_cert, tls_key, tls_hostname): write all three, or none for plain HTTP';
  return undefined;
}

/** The row a sonobox.toml key belongs to, by 'section.key'. */
export const fileRows: ReadonlyMap<string, Setting> = new Map(settings.filter((s) => s.file).map((s) => [s.file!.key, s]));
/** The row a command-line flag belongs to. */
export const flagRows: ReadonlyMap<string, Setting> = new Map(settings.filter((s) => s.flag).map((s) => [s.flag!.name, s]));
