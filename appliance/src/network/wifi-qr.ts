/**
 * The `WIFI:` QR payload phones' cameras understand (Android 10+, iOS 11+), as defined
 * by ZXing's "Barcode Contents" wiki and the Wi-Fi Alliance's Wi-Fi Easy Connect spec
 * v2.0 §5.2.1 (`WIFI:T:WPA;S:<ssid>;P:<password>;;`): in S and P the characters
 * `\` `;` `,` `"` and `:` are escaped with a backslash. T:WPA covers WPA2-PSK.
 */
export interface WifiQrNetwork {
  readonly ssid: string;
  readonly passphrase: string;
}

/** Backslash-escapes the characters that the WIFI: grammar reserves. */
export function escapeWifiField(value: string): string {
  return value.replace(/[\\;,":]/g, (c) => `\\${c}`);
}

/** The payload for a WPA2-PSK network that is broadcast (not hidden). Pure. */
export function wifiQrString(net: WifiQrNetwork): string {
  return `WIFI:T:WPA;S:${escapeWifiField(net.ssid)};P:${escapeWifiField(net.passphrase)};;`;
}
