import { describe, expect, it } from 'vitest';
import { parseHostapdLine } from './hostapd-events.js';

describe('hostapd stdout events', () => {
  const cases: Array<[string, string, unknown]> = [
    ['enabled', 'wlan0: AP-ENABLED ', { type: 'enabled' }],
    ['disabled', 'wlan0: AP-DISABLED ', { type: 'disabled' }],
    ['station joins', 'wlan0: AP-STA-CONNECTED 02:00:00:00:01:00', { type: 'station-connected', station: '02:00:00:00:01:00' }],
    ['station joins, upper-case MAC', 'wlan0: AP-STA-CONNECTED 02:AB:00:00:01:00 auth_alg=open', { type: 'station-connected', station: '02:ab:00:00:01:00' }],
    ['station leaves', 'wlan0: AP-STA-DISCONNECTED 02:00:00:00:01:00', { type: 'station-disconnected', station: '02:00:00:00:01:00' }],
    ['no interface prefix', 'AP-ENABLED', { type: 'enabled' }],
    ['association log line is not a join', 'wlan0: STA 02:00:00:00:01:00 IEEE 802.11: associated', undefined],
    ['wrong key is not a join', 'wlan0: AP-STA-POSSIBLE-PSK-MISMATCH 02:00:00:00:01:00', undefined],
    ['state change', 'wlan0: interface state UNINITIALIZED->ENABLED', undefined],
    ['connected without MAC', 'wlan0: AP-STA-CONNECTED', undefined],
  ];
  it.each(cases)('%s', (_name, line, expected) => {
    expect(parseHostapdLine(line)).toEqual(expected);
  });
});
