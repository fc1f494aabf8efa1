/**
 * hostapd.conf for the box hotspot, generated from the configuration and the session's
 * passphrase. Pure: the text is returned, hotspot.ts writes it (mode 0600, RAM only).
 * Keys are those of hostapd 2.10's hostapd.conf (Debian 12); each non-default choice says why.
 */

/** The engineer's hotspot settings (config.network.hotspot). */
export interface HotspotSettings {
  /** The Wi-Fi interface that becomes the access point, e.g. 'wlan0'. */
  interface: string;
  /** The network name phones see; 1..32 bytes of UTF-8. */
  ssid: string;
  /** 2.4 GHz channel, 1..13: every phone supports it and no DFS wait applies. */
  channel: number;
  /** ISO 3166-1 alpha-2 country, for the regulatory domain (allowed channels, power). */
  countryCode: string;
}

export interface HostapdSessionSettings extends HotspotSettings {
  /** The session's WPA2 passphrase (wifi-passphrase.ts). */
  readonly passphrase: string;
  /** Directory for hostapd's control socket (inside the RAM-only runtime directory). */
  readonly ctrlInterfaceDir: string;
  /** Stations that may associate at once (viewers, plus a spare for a phone rejoining). */
  readonly maxStations: number;
}

/** Thrown for a setting hostapd would reject or misread; the message names the setting. */
export class HotspotConfigError extends Error {
  override readonly name = 'HotspotConfigError';
}

/** An interface name: IFNAMSIZ - 1 characters, no '/' or whitespace. */
export const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** 2.4 GHz channels every phone supports, with no DFS wait. */
export const HOTSPOT_CHANNELS = { min: 1, max: 13 } as const;
/** ISO 3166-1 alpha-2, as hostapd's country_code wants it. */
export const COUNTRY_CODE = /^[A-Z]{2}$/;

/** Why `ssid` cannot be a network name (IEEE 802.11: 1..32 octets; no control characters in a config line), or undefined. */
export function ssidProblem(ssid: string): string | undefined {
  const bytes = Buffer.byteLength(ssid, 'utf8');
  if (bytes < 1 || bytes > 32) return `it is ${bytes} bytes of UTF-8`;
  if (/[\u0000-\u001f\u007f]/.test(ssid)) return 'it contains control characters';
  return undefined;
}

/** Checks the engineer's settings; throws HotspotConfigError naming the first bad one. */
export function validateHotspotSettings(s: HotspotSettings): HotspotSettings {
  if (!IFNAME.test(s.interface)) throw new HotspotConfigError(`network.hotspot.interface must be an interface name like wlan0 (got "${s.interface}")`);
  const ssid = ssidProblem(s.ssid);
  if (ssid) throw new HotspotConfigError(`network.hotspot.ssid must be 1 to 32 bytes of UTF-8 without control characters (${ssid})`);
  const { min, max } = HOTSPOT_CHANNELS;
  if (!Number.isInteger(s.channel) || s.channel < min || s.channel > max) throw new HotspotConfigError(`network.hotspot.channel must be a 2.4 GHz channel from ${min} to ${max} (got ${s.channel})`);
  if (!COUNTRY_CODE.test(s.countryCode)) throw new HotspotConfigError(`network.hotspot.countryCode must be two capital letters like DE or US (got "${s.countryCode}")`);
  return s;
}

/** The hostapd.conf text for one session. Pure; throws HotspotConfigError. */
export function hostapdConfig(s: HostapdSessionSettings): string {
  validateHotspotSettings(s);
  if (!/^[\x21-\x7e]{8,63}$/.test(s.passphrase)) throw new HotspotConfigError('the hotspot passphrase must be 8..63 printable ASCII characters without spaces');
  if (!Number.isInteger(s.maxStations) || s.maxStations < 1 || s.maxStations > 32) throw new HotspotConfigError(`maxStations must be 1..32 (got ${s.maxStations})`);
  const lines = [
    '# sonobox hotspot: generated per session, lives in RAM only, removed at session end.',
    `interface=${s.interface}`,
    'driver=nl80211',
    // The control socket lives in the service's own 0700 runtime directory, so only the
    // service user (and root) can reach it. No ctrl_interface_group: hostapd would chown the
    // directory to that group, which the unprivileged service may not do, and fail to start.
    `ctrl_interface=${s.ctrlInterfaceDir}`,
    // ssid2 in hex: any UTF-8 name, no quoting rules to get wrong.
    `ssid2=${Buffer.from(s.ssid, 'utf8').toString('hex')}`,
    'utf8_ssid=1',
    // Broadcast, not hidden: a phone joins a hidden network only after probing for it by
    // name everywhere it goes, which leaks more than it hides; the passphrase is the lock.
    'ignore_broadcast_ssid=0',
    `country_code=${s.countryCode}`,
    'ieee80211d=1',
    'hw_mode=g',
    `channel=${s.channel}`,
    'ieee80211n=1',
    'wmm_enabled=1',
    // WPA2-Personal only: open system auth, RSN (wpa=2), PSK, CCMP (AES); no TKIP, no WEP.
    'auth_algs=1',
    'wpa=2',
    'wpa_key_mgmt=WPA-PSK',
    'rsn_pairwise=CCMP',
    `wpa_passphrase=${s.passphrase}`,
    // 802.11w management frame protection where the phone supports it (stops forged
    // deauthentication); optional so older phones still join.
    'ieee80211w=1',
    // No WPS: a PIN or push button would be a second way in.
    'wps_state=0',
    // Client isolation: phones on the hotspot cannot reach each other, only the box.
    'ap_isolate=1',
    `max_num_sta=${s.maxStations}`,
    // hostapd's own logging to stdout at "info" only: it carries station events, which
    // hotspot.ts parses and never copies to a log (they hold the phone's MAC address).
    'logger_syslog=0',
    'logger_stdout=-1',
    'logger_stdout_level=2',
  ];
  return `${lines.join('\n')}\n`;
}
