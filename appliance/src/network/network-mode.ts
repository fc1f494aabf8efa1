/**
 * The network mode, chosen in the configuration (config.network), as one object the app
 * composes: how links are addressed, whether the server speaks HTTPS, and, in hotspot
 * mode, the access point that opens with each session and closes at its end.
 * docs/threat-model.md says what each mode protects.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import { chooseAutoMode, describeAutoDecision, probeWifi, type WifiProbe } from './auto-mode.js';
import { Hotspot, type HotspotOptions } from './hotspot.js';
import type { Logger } from '../system/logger.js';

/** What the cart needs to show the WIFI: QR before the link (hotspot mode only). */
export interface WifiJoin {
  /** The WIFI: payload and network name while a session's hotspot is open, else undefined. */
  current(): { readonly wifiQr: string; readonly ssid: string } | undefined;
  /** Phones associated with the hotspot right now. */
  stations(): number;
  onChange(listener: () => void): () => void;
}

export interface NetworkMode {
  readonly kind: 'hotspot' | 'clinic';
  /** PEM key and certificate when clinic mode has them (HTTPS + HSTS), else undefined. */
  readonly https: { readonly key: Buffer; readonly cert: Buffer } | undefined;
  /** Present in hotspot mode. */
  readonly wifi: WifiJoin | undefined;
  /** The scheme://host[:port] links start with, once the server listens on `port`. */
  baseUrl(port: number, lanHost: string): string;
  /** Feed from the session manager: the hotspot opens with a session and closes after it. */
  sessionActive(active: boolean): void;
  /**
   * mode 'auto' only: the hotspot it chose failed to start, and the box now shares over the
   * clinic network. The session that asked for the hotspot has a link to the hotspot's
   * address, which no phone can reach: the app ends it, so the next press gets a LAN link.
   * Returns an unsubscribe; other modes never call it.
   */
  onFallbackToClinic(listener: (reason: string) => void): () => void;
  close(): Promise<void>;
}

export interface NetworkModeDeps {
  /** RAM-only directory for the hotspot's files (main.ts: $RUNTIME_DIRECTORY or /run/sonobox). */
  readonly runtimeDir: string;
  readonly maxViewers: number;
  readonly log: Pick<Logger, 'info' | 'warn'>;
  /** Tests replace hostapd/dnsmasq/ip. */
  readonly commands?: HotspotOptions['commands'];
  /** mode 'auto': what the board has (default probeWifi() on /sys and $PATH). */
  readonly probe?: () => WifiProbe;
}

const never = (): (() => void) => () => undefined;

/** `https://name/` drops the default port, like browsers do. */
function origin(scheme: 'http' | 'https', host: string, port: number): string {
  const dflt = scheme === 'https' ? 443 : 80;
  return `${scheme}://${host}${port === dflt ? '' : `:${port}`}`;
}

/**
 * 'auto' resolved once, at start-up, to 'hotspot' (on the Wi-Fi interface found) or
 * 'clinic', with one log line saying which and why (network/auto-mode.ts).
 */
export function resolveNetworkConfig(config: Config['network'], deps: Pick<NetworkModeDeps, 'log' | 'commands' | 'probe'>): Config['network'] & { mode: 'hotspot' | 'clinic' } {
  if (config.mode !== 'auto') return { ...config, mode: config.mode };
  const probe = deps.probe ?? (() => probeWifi({ commands: deps.commands }));
  const decision = chooseAutoMode(probe(), config.hotspot.interface);
  deps.log.info(describeAutoDecision(decision));
  return decision.mode === 'hotspot' ? { ...config, mode: 'hotspot', hotspot: { ...config.hotspot, interface: decision.interface } } : { ...config, mode: 'clinic' };
}

export function createNetworkMode(requested: Config['network'], deps: NetworkModeDeps): NetworkMode {
  const config = resolveNetworkConfig(requested, deps);
  if (config.mode === 'clinic') return clinicNetwork(config.clinic, true);
  if (requested.mode !== 'auto') return hotspotNetwork(config, deps, () => undefined);
  // 'auto' chose the hotspot because the board has a radio, but a radio can still refuse AP
  // mode (missing firmware, regulatory domain, a driver without nl80211 AP support). An
  // appliance nobody configures must not keep showing a Wi-Fi code that never works: from
  // the first failure on, it shares over the clinic network until it restarts. The server
  // was started without TLS for the hotspot, so the fallback serves plain HTTP on the LAN.
  let current: NetworkMode;
  const fallbackListeners = new Set<(reason: string) => void>();
  const hotspot = hotspotNetwork(config, deps, (e) => {
    if (current !== hotspot) return;
    const reason = e instanceof Error ? e.message : String(e);
    current = clinicNetwork(config.clinic, false);
    deps.log.warn(`network mode auto: the hotspot failed (${reason}); sharing over the clinic network (plain HTTP on the LAN) from now until the box restarts`);
    void hotspot.close();
    for (const l of fallbackListeners) l(reason);
  });
  current = hotspot;
  return {
    get kind() {
      return current.kind;
    },
    https: undefined,
    // The cart keeps this object; once fallen back its current() is undefined (hotspot closed).
    wifi: hotspot.wifi,
    baseUrl: (port, lanHost) => current.baseUrl(port, lanHost),
    sessionActive: (active) => current.sessionActive(active),
    onFallbackToClinic(listener) {
      fallbackListeners.add(listener);
      return () => fallbackListeners.delete(listener);
    },
    close: () => hotspot.close(),
  };
}

/** Clinic mode: links on the LAN address (or the certificate's hostname over HTTPS). */
function clinicNetwork(clinic: Config['network']['clinic'], allowHttps: boolean): NetworkMode {
  const { certFile, keyFile, hostname } = clinic;
  let https: NetworkMode['https'];
  if (allowHttps && certFile && keyFile && hostname) {
    const read = (what: string, file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (e) {
        throw new ConfigError(`cannot read the TLS ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); copy it to the boot partition or remove --tls-* to serve plain HTTP`);
      }
    };
    https = { key: read('key', keyFile), cert: read('certificate', certFile) };
  }
  return {
    kind: 'clinic',
    https,
    wifi: undefined,
    baseUrl: (port, lanHost) => (https ? origin('https', hostname!, port) : origin('http', lanHost, port)),
    sessionActive: () => undefined,
    onFallbackToClinic: never,
    close: async () => undefined,
  };
}

/** Hotspot mode: an access point with a fresh passphrase opens with each session. */
function hotspotNetwork(config: Config['network'], deps: NetworkModeDeps, onFailed: (e: unknown) => void): NetworkMode {
  // One phone per viewer, plus one spare so a phone can rejoin before its old entry times out.
  const hotspot = new Hotspot({ settings: config.hotspot, runtimeDir: deps.runtimeDir, maxStations: deps.maxViewers + 1, log: deps.log, commands: deps.commands });
  let closing: Promise<void> | undefined;
  return {
    kind: 'hotspot',
    https: undefined,
    wifi: {
      current: () => {
        const s = hotspot.session;
        return s ? { wifiQr: s.wifiQr, ssid: s.ssid } : undefined;
      },
      stations: () => hotspot.stations,
      onChange: (l) => hotspot.onChange(l),
    },
    baseUrl: (port) => origin('http', hotspot.session?.gateway ?? '10.42.0.1', port),
    sessionActive(active) {
      if (active && hotspot.state === 'closed' && !closing) {
        // Synchronously, inside sessions.start(): the cart's first screen already has the WIFI: code.
        hotspot.open().ready.catch(onFailed); // the hotspot logs the failure itself
      } else if (active && closing) {
        void closing.then(() => this.sessionActive(true));
      } else if (!active && hotspot.state !== 'closed' && !closing) {
        closing = hotspot.close().finally(() => (closing = undefined));
      }
    },
    onFallbackToClinic: never,
    close: () => hotspot.close(),
  };
}
