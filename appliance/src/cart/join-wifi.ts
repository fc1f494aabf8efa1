import type { CartState } from './cart-lifecycle.js';
import type { ScreenState } from './screens.js';

/**
 * Hotspot mode: a phone must be on the box's Wi-Fi before the link can work, so while the
 * cart shares a link and the hotspot has no more phones than there are viewers (the next
 * phone has not joined yet), the WIFI: code replaces the link. Once it joins
 * (hostapd AP-STA-CONNECTED), the link's QR code shows. Pure.
 */
export function withWifiJoin(
  screen: ScreenState,
  state: CartState,
  wifi: { readonly wifiQr: string; readonly ssid: string } | undefined,
  stations: number,
): ScreenState {
  if (!wifi || screen.screen !== 'sharing' || state.kind !== 'sharing') return screen;
  return stations <= state.session.viewers ? { screen: 'join-wifi', wifiQr: wifi.wifiQr, ssid: wifi.ssid } : screen;
}
