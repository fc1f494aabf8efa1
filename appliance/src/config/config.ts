import { defaultCartConfig, type CartConfig } from '../cart/cart-devices.js';
import { validateHotspotSettings, type HotspotSettings } from '../network/hostapd-config.js';

/**
 * One configuration schema, validated once at start-up; each module receives its slice.
 * Defaults sit beside each field. Sources, in increasing priority: defaults, the config
 * file (on the appliance: the FAT boot partition), command-line flags.
 */

export interface Config {
  http: {
    /** Port the box listens on; the link and WHEP live here. */
    port: number; // default 8080
    /** Address to bind; '0.0.0.0' so phones on the same network can reach the box. */
    host: string; // default '0.0.0.0'
    /** Host name or address printed in the link; empty means "first non-internal IPv4". */
    publicHost: string; // default ''
  };
  source: {
    /**
     * 'auto' (a V4L2 dongle if found, else the test pattern), 'test-pattern', '-' (raw I420
     * on stdin), a video file path (looped), or a V4L2 device path.
     */
    spec: string; // default 'auto'
    width: number; // default 1280
    height: number; // default 720
    fps: number; // default 30
  };
  encoder: {
    /** 'auto' (hardware when the board has one), 'software', or a V4L2 M2M device path. */
    spec: string; // default 'auto'
    bitrateBps: number; // default 4_000_000
    /** Periodic IDR interval in seconds; IDRs on request (new viewer, PLI) come on top. */
    keyframeIntervalS: number; // default 2
  };
  webrtc: {
    /** playout-delay extension bounds sent to viewers, ms; 0/0 asks for no jitter buffer. */
    playoutDelayMinMs: number; // default 0
    playoutDelayMaxMs: number; // default 0
    /** Extra host addresses to offer as ICE candidates (e.g. 127.0.0.1 for local tests). */
    extraHostAddresses: string[]; // default []
    /**
     * UDP ports ICE may bind, inclusive (werift icePortRange); undefined: any free port.
     * A fixed range is what a NAT forward or a firewall rule can name (the QEMU system test).
     */
    icePortRange?: [number, number]; // default undefined
    /** Access units a slow viewer may have queued before it drops to the next IDR. */
    viewerQueueFrames: number; // default 30
  };
  /** How phones reach the box (docs/threat-model.md compares the two). */
  network: {
    /**
     * 'hotspot': the box's own WPA2 access point, a fresh passphrase per session, the cart
     * shows a WIFI: QR code first (set this on boards with Wi-Fi). 'clinic': the box is on
     * the clinic's network. 'auto': hotspot when the board has a Wi-Fi interface and
     * hostapd + dnsmasq are installed, else clinic (network/auto-mode.ts; the appliance
     * image's default). Default 'clinic' so a dev PC never reconfigures its Wi-Fi.
     */
    mode: 'hotspot' | 'clinic' | 'auto'; // default 'clinic'
    /** network/hostapd-config.ts documents each field. */
    hotspot: HotspotSettings; // default wlan0, "sonobox", channel 6, US
    /**
     * Clinic mode with a certificate for a clinic-owned hostname (files on the boot
     * partition, PEM): HTTPS with HSTS and links https://<hostname>/…. All three or none.
     */
    clinic: { certFile?: string; keyFile?: string; hostname?: string }; // default {} (plain HTTP)
  };
  /** The cart's small display and button (cart/cart-devices.ts documents each field). */
  cart: CartConfig;
  session: {
    /** An unused link dies after this long (monotonic clock). */
    linkTtlMs: number; // default 10 min
    /** Devices that may watch one session at once (each needs its own link). */
    maxViewers: number; // default 1
  };
  /** PHI masking before encoding (mask/mask-presets.ts). */
  mask: {
    /**
     * Name of the mask preset for the connected scanner (appliance/src/mask/presets/).
     * 'none' masks nothing and is only for setting the box up: a clinic must choose the
     * preset for its scanner before the box is used on patients.
     */
    preset: string; // default 'none'
  };
}

export const defaultConfig: Config = {
  http: { port: 8080, host: '0.0.0.0', publicHost: '' },
  source: { spec: 'auto', width: 1280, height: 720, fps: 30 },
  encoder: { spec: 'auto', bitrateBps: 4_000_000, keyframeIntervalS: 2 },
  webrtc: { playoutDelayMinMs: 0, playoutDelayMaxMs: 0, extraHostAddresses: [], viewerQueueFrames: 30 },
  cart: defaultCartConfig,
  session: { linkTtlMs: 10 * 60_000, maxViewers: 1 },
  network: {
    mode: 'clinic',
    hotspot: { interface: 'wlan0', ssid: 'sonobox', channel: 6, countryCode: 'US' },
    clinic: {},
  },
  mask: { preset: 'none' },
};

/** ConfigError names the setting and says what a valid value looks like. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Checks ranges and shapes; throws ConfigError with the first problem found. */
export function validateConfig(c: Config): Config {
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got ${v})`);
    }
  };
  int('http.port', c.http.port, 0, 65535);
  int('source.width', c.source.width, 16, 4096);
  int('source.height', c.source.height, 16, 2160);
  if (c.source.width % 2 || c.source.height % 2) {
    throw new ConfigError(`source size must be even in both dimensions for 4:2:0 video (got ${c.source.width}x${c.source.height})`);
  }
  int('source.fps', c.source.fps, 1, 120);
  int('encoder.bitrateBps', c.encoder.bitrateBps, 100_000, 50_000_000);
  if (!(c.encoder.keyframeIntervalS > 0 && c.encoder.keyframeIntervalS <= 60)) {
    throw new ConfigError(`encoder.keyframeIntervalS must be between 0 and 60 seconds (got ${c.encoder.keyframeIntervalS})`);
  }
  // playout-delay carries 12-bit values in 10 ms units (max 40950 ms).
  int('webrtc.playoutDelayMinMs', c.webrtc.playoutDelayMinMs, 0, 40_950);
  int('webrtc.playoutDelayMaxMs', c.webrtc.playoutDelayMaxMs, c.webrtc.playoutDelayMinMs, 40_950);
  int('webrtc.viewerQueueFrames', c.webrtc.viewerQueueFrames, 2, 600);
  if (c.webrtc.icePortRange) {
    const [min, max] = c.webrtc.icePortRange;
    int('webrtc.icePortRange minimum', min, 1024, 65535);
    int('webrtc.icePortRange maximum', max, min, 65535);
  }
  int('session.linkTtlMs', c.session.linkTtlMs, 1_000, 24 * 3_600_000);
  int('session.maxViewers', c.session.maxViewers, 1, 16);
  if (c.network.mode !== 'hotspot' && c.network.mode !== 'clinic' && c.network.mode !== 'auto') throw new ConfigError(`network.mode must be hotspot, clinic or auto (got "${String(c.network.mode)}")`);
  if (c.network.mode !== 'clinic') {
    try {
      validateHotspotSettings(c.network.hotspot);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  const tls = c.network.clinic;
  const given = [tls.certFile, tls.keyFile, tls.hostname].filter((v) => v !== undefined && v !== '').length;
  if (given !== 0 && given !== 3) throw new ConfigError('HTTPS needs all three of --tls-cert, --tls-key and --tls-hostname (network.clinic certFile, keyFile, hostname)');
  // Whether the preset exists is checked when the app is built (mask/mask-presets.ts activePreset).
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.mask.preset)) {
    throw new ConfigError(`mask.preset must be a preset name such as generic-top-banner, or none (got "${c.mask.preset}")`);
  }
  return c;
}

/** Parses "1280x720" into its two numbers, or throws ConfigError. */
export function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`--size must look like 1280x720 (got "${text}")`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

export const cliUsage = `Usage: npm start -- [options]
  --source <auto|test-pattern|-|FILE|/dev/videoN>  where pictures come from (default auto;
                        test-pattern:speckle adds ultrasound-like noise that uses the full bitrate)
  --size WxH            picture size (default 1280x720)
  --fps N               frames per second (default 30)
  --port N              HTTP port (default 8080)
  --host ADDR           address to listen on (default 0.0.0.0)
  --public-host NAME    host name or address to put in the link
  --encoder <auto|software|DEVICE>  H.264 encoder (default auto)
  --bitrate BPS         target bitrate (default 4000000)
  --playout-delay MIN,MAX  playout-delay extension in ms (default 0,0)
  --link-ttl SECONDS    how long an unused link lives (default 600)
  --ice-host ADDR       extra host address to offer as an ICE candidate (repeatable)
  --ice-ports MIN-MAX   UDP ports for WebRTC media, e.g. 40000-40099 (default: any free port)
  --max-viewers N       devices that may watch one session, one link each (default 1)
  --network hotspot|clinic|auto  the box's own Wi-Fi access point, the clinic network, or
                            hotspot when the board has Wi-Fi and hostapd+dnsmasq (default clinic)
  --wifi-interface IF   hotspot interface (default wlan0); --wifi-ssid NAME (default sonobox)
  --wifi-channel N      hotspot 2.4 GHz channel 1-13 (default 6); --wifi-country CC (default US)
  --tls-cert FILE --tls-key FILE --tls-hostname NAME  clinic mode over HTTPS (with HSTS)
  --language en|fr      language of the cart display (default en)
  --display <auto|png|/dev/fbN>   cart display (default auto: framebuffer, else PNG at /api/cart.png)
  --button <auto|terminal|PATH>   cart button (default auto: evdev, else terminal keys)
  --print-link          print the link even under systemd (where stdout goes to the journal)
  --no-session          do not start a session at launch (wait for POST /api/session)
  --mask-preset NAME    PHI mask preset for the scanner (default none = no masking; choose one
                        before clinical use; set up with GET /api/mask-preview.png on the box)
  --help                this text`;

export interface CliOptions {
  config: Config;
  /** Start a session (and print its link) as soon as the box is up. */
  startSession: boolean;
  help: boolean;
  /** Print the link even when stdout is the journal (systemd): off by default there. */
  printLink: boolean;
}

/** Applies command-line flags on top of a base configuration. Throws ConfigError. */
export function parseCli(argv: readonly string[], base: Config = defaultConfig): CliOptions {
  const c: Config = structuredClone(base);
  let startSession = true;
  let help = false;
  let printLink = false;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n)) throw new ConfigError(`${flag} needs a number (got "${v ?? ''}")`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${flag} needs a value; see --help`);
      return v;
    };
    switch (flag) {
      case '--source': c.source.spec = value(); break;
      case '--size': Object.assign(c.source, parseSize(value())); break;
      case '--fps': c.source.fps = num(flag, value()); break;
      case '--port': c.http.port = num(flag, value()); break;
      case '--host': c.http.host = value(); break;
      case '--public-host': c.http.publicHost = value(); break;
      case '--encoder': c.encoder.spec = value(); break;
      case '--bitrate': c.encoder.bitrateBps = num(flag, value()); break;
      case '--playout-delay': {
        const [min, max] = value().split(',');
        c.webrtc.playoutDelayMinMs = num(flag, min);
        c.webrtc.playoutDelayMaxMs = num(flag, max ?? min);
        break;
      }
      case '--link-ttl': c.session.linkTtlMs = num(flag, value()) * 1000; break;
      case '--ice-host': c.webrtc.extraHostAddresses.push(value()); break;
      case '--ice-ports': {
        const m = /^(\d+)-(\d+)$/.exec(value());
        if (!m) throw new ConfigError(`--ice-ports must look like 40000-40099 (got "${argv[i]}")`);
        c.webrtc.icePortRange = [Number(m[1]), Number(m[2])];
        break;
      }
      case '--max-viewers': c.session.maxViewers = num(flag, value()); break;
      case '--network': {
        const v = value();
        if (v !== 'hotspot' && v !== 'clinic' && v !== 'auto') throw new ConfigError(`--network must be hotspot, clinic or auto (got "${v}")`);
        c.network.mode = v;
        break;
      }
      case '--wifi-interface': c.network.hotspot.interface = value(); break;
      case '--wifi-ssid': c.network.hotspot.ssid = value(); break;
      case '--wifi-channel': c.network.hotspot.channel = num(flag, value()); break;
      case '--wifi-country': c.network.hotspot.countryCode = value(); break;
      case '--tls-cert': c.network.clinic.certFile = value(); break;
      case '--tls-key': c.network.clinic.keyFile = value(); break;
      case '--tls-hostname': c.network.clinic.hostname = value(); break;
      case '--language': {
        const v = value();
        if (v !== 'en' && v !== 'fr') throw new ConfigError(`--language must be en or fr (got "${v}")`);
        c.cart.language = v;
        break;
      }
      case '--display': c.cart.display = value(); break;
      case '--button': c.cart.button = value(); break;
      case '--print-link': printLink = true; break;
      case '--no-session': startSession = false; break;
      case '--mask-preset': c.mask.preset = value(); break;
      case '--help': case '-h': help = true; break;
      default: throw new ConfigError(`unknown option "${flag}"; see --help`);
    }
  }
  return { config: validateConfig(c), startSession, help, printLink };
}
