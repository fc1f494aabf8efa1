import { describe, expect, it } from 'vitest';
import { escapeWifiField, wifiQrString } from './wifi-qr.js';

describe('WIFI: QR payload', () => {
  const cases: Array<[name: string, ssid: string, passphrase: string, expected: string]> = [
    ['plain', 'sonobox', 'abcdefgh23456789', 'WIFI:T:WPA;S:sonobox;P:abcdefgh23456789;;'],
    ['semicolon', 'a;b', 'p;q', 'WIFI:T:WPA;S:a\\;b;P:p\\;q;;'],
    ['comma', 'Echo, room 2', 'x,y', 'WIFI:T:WPA;S:Echo\\, room 2;P:x\\,y;;'],
    ['colon', 'A:B', 'k:v', 'WIFI:T:WPA;S:A\\:B;P:k\\:v;;'],
    ['double quote', '"quoted"', 'p"w', 'WIFI:T:WPA;S:\\"quoted\\";P:p\\"w;;'],
    ['backslash first, not doubled twice', 'a\\b', '\\;', 'WIFI:T:WPA;S:a\\\\b;P:\\\\\\;;;'],
    ['UTF-8 kept as is', 'Échographie', 'pass word', 'WIFI:T:WPA;S:Échographie;P:pass word;;'],
  ];
  it.each(cases)('%s', (_name, ssid, passphrase, expected) => {
    expect(wifiQrString({ ssid, passphrase })).toBe(expected);
  });

  it('escapes exactly the five reserved characters', () => {
    const all = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    const escaped = escapeWifiField(all);
    expect(escaped.length - all.length).toBe(5);
    for (const c of '\\;,":') expect(escaped).toContain(`\\${c}`);
  });
});
