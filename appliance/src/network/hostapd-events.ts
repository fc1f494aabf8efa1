/**
 * hostapd's stdout, reduced to the few events the box acts on. hostapd prints control
 * events as "<ifname>: <EVENT> [args]" (src/common/wpa_ctrl.h: AP-ENABLED,
 * AP-STA-CONNECTED <mac>, ...). The station's MAC address is identifying, so the parsed
 * event keeps only an opaque in-memory key for counting, and no line is ever logged.
 */
export type HostapdEvent =
  | { readonly type: 'enabled' }
  | { readonly type: 'disabled' }
  | { readonly type: 'station-connected'; readonly station: string }
  | { readonly type: 'station-disconnected'; readonly station: string };

const EVENT = /^(?:[A-Za-z0-9_.-]+: )?(AP-ENABLED|AP-DISABLED|AP-STA-CONNECTED|AP-STA-DISCONNECTED)(?: ([0-9a-fA-F:]{17}))?/;

/** One stdout line → its event, or undefined for everything else. Pure. */
export function parseHostapdLine(line: string): HostapdEvent | undefined {
  const m = EVENT.exec(line.trim());
  if (!m) return undefined;
  switch (m[1]) {
    case 'AP-ENABLED': return { type: 'enabled' };
    case 'AP-DISABLED': return { type: 'disabled' };
    case 'AP-STA-CONNECTED': return m[2] ? { type: 'station-connected', station: m[2].toLowerCase() } : undefined;
    case 'AP-STA-DISCONNECTED': return m[2] ? { type: 'station-disconnected', station: m[2].toLowerCase() } : undefined;
    default: return undefined;
  }
}
