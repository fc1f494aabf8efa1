/**
 * The configuration every module gets its slice of: its shape here, its defaults, ranges,
 * flags, file keys and help in one table (settings.ts). Sources, in increasing priority:
 * the table's defaults, the settings file (config-file.ts; on the appliance the FAT boot
 * partition), command-line flags (cli.ts). Validated once, at start-up.
 */
import type { BearerPolicy } from '../credentials/link-credential.js';
import type { Language } from '../cart/messages.js';
import type { HotspotSettings } from '../network/hostapd-config.js';
import { ConfigError } from './config-error.js';
import { crossCheck, settings } from './settings.js';

export { ConfigError } from './config-error.js';

export interface Config {
  /**
   * Running as the cart appliance (the systemd unit passes --appliance): source 'auto'
   * means the capture dongle, waited for with the "no capture device" slate, never the
   * test pattern, which on a PC is the development fallback.
   */
  appliance: boolean;
  http: {
    /** Port the box listens on; the link and WHEP live here. */
    port: number;
    /** Address to bind; '0.0.0.0' so phones on the same network can reach the box. */
    host: string;
    /** Host name or address printed in the link; empty means "the box's own LAN address". */
    publicHost: string;
  };
  source: {
    /**
     * 'capture' (the dongle: udev's /dev/sonobox/capture, else a scanned UVC node; the
     * slate until one appears), 'auto' (capture on the appliance; on a PC the dongle if one
     * is plugged in at start, else the test pattern), 'test-pattern[:speckle]', '-' (raw
     * I420 on stdin), a video file path (looped), or a V4L2 device path.
     */
    spec: string;
    width: number;
    height: number;
    fps: number;
  };
  audio: {
    /**
     * 'auto': the sound that belongs to the source (the capture dongle's own sound card,
     * the test pattern's synthetic heartbeat, a file's audio track; none for stdin),
     * 'none': no sound, or an ALSA capture device ('plughw:CARD=MS2109,DEV=0', 'hw:1,0').
     */
    device: string;
  };
  encoder: {
    /** 'auto' (hardware when the board has one), 'software', or a V4L2 M2M device path. */
    spec: string;
    bitrateBps: number;
    /** Periodic IDR interval in seconds; IDRs on request (new viewer, PLI) come on top. */
    keyframeIntervalS: number;
  };
  webrtc: {
    /** playout-delay extension bounds sent to viewers, ms; 0/0 asks for no jitter buffer. */
    playoutDelayMinMs: number;
    playoutDelayMaxMs: number;
    /** Extra host addresses to offer as ICE candidates (e.g. 127.0.0.1 for local tests). */
    extraHostAddresses: string[];
    /**
     * UDP ports ICE may bind, inclusive (werift icePortRange); undefined: any free port.
     * A fixed range is what a NAT forward or a firewall rule can name (the QEMU system test).
     */
    icePortRange?: [number, number];
    /** Access units a slow viewer may have queued before it drops to the next IDR. */
    viewerQueueFrames: number;
  };
  /** How phones reach the box (docs/threat-model.md compares the two). */
  network: {
    /**
     * 'hotspot': the box's own WPA2 access point, a fresh passphrase per session, the cart
     * shows a WIFI: QR code first. 'clinic': the box is on the clinic's network. 'auto':
     * hotspot when the board has a Wi-Fi interface and hostapd + dnsmasq are installed,
     * else clinic (network/auto-mode.ts; the appliance image's choice). The default is
     * clinic so a dev PC never reconfigures its Wi-Fi.
     */
    mode: 'hotspot' | 'clinic' | 'auto';
    /** network/hostapd-config.ts documents each field. */
    hotspot: HotspotSettings;
    /**
     * Clinic mode with a certificate for a clinic-owned hostname (files on the boot
     * partition, PEM): HTTPS with HSTS and links https://<hostname>/…. All three or none.
     */
    clinic: { certFile?: string; keyFile?: string; hostname?: string };
  };
  /** The cart's small display and button. */
  cart: CartConfig;
  session: {
    /** An unused link dies after this long (monotonic clock). */
    linkTtlMs: number;
    /** Devices that may watch one session at once (each needs its own link). */
    maxViewers: number;
    /**
     * Where standard WHEP players may send `Authorization: Bearer <token>`
     * (docs/credential-scheme.md §8): never, tls (only where TLS ends on the box), always.
     */
    whepBearer: BearerPolicy;
  };
  /** PHI masking before encoding (mask/mask-presets.ts). */
  mask: {
    /**
     * Name of the mask preset for the connected scanner (appliance/src/mask/presets/).
     * 'none' masks nothing and is only for setting the box up.
     */
    preset: string;
  };
}

/** The cart's slice (hardware/pick-hardware.ts opens the devices it names). */
export interface CartConfig {
  /** 'auto' (/dev/sonobox/display if present, else PNG), 'png', or a /dev/fbN path. */
  display: string;
  /** Size of the dev-mode PNG screen. */
  pngWidth: number;
  pngHeight: number;
  /** 'auto' (/dev/sonobox/button if present, else terminal keys), 'terminal', or an evdev path or FIFO. */
  button: string;
  /** EV_KEY code of the button (input-event-codes.h). */
  buttonKeyCode: number;
  language: Language;
  maxSessionMs: number;
  noViewerMs: number;
  longPressMs: number;
  /** Two presses this close are the mute gesture; 0: none (button.ts). */
  doublePressMs: number;
  debounceMs: number;
}

/** Every row's default. */
export const defaultConfig: Config = (() => {
  const c = {} as Config;
  for (const s of settings) s.set(c, structuredClone(s.default));
  return c;
})();

/** Checks every row's value and what involves several; throws ConfigError with the first problem found. */
export function validateConfig(c: Config): Config {
  for (const s of settings) {
    const why = s.kind.check(s.get(c));
    if (why) throw new ConfigError(`${s.name} ${why}`);
  }
  const why = crossCheck(c);
  if (why) throw new ConfigError(why);
  return c;
}
