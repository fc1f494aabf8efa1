import { describe, expect, it } from 'vitest';
import { boxOnlyHostAllowed, hostAllowed, hostName } from './host-allow-list.js';

describe('hostName', () => {
  it.each([
    ['192.168.1.20:8080', '192.168.1.20'],
    ['Box.Example.', 'box.example'],
    ['[fe80::1]:8443', 'fe80::1'],
    ['[::1]', '::1'],
    ['localhost', 'localhost'],
  ])('%s → %s', (header, name) => expect(hostName(header)).toBe(name));

  it.each([[undefined], [''], ['a b'], ['evil.example/path'], ['[zz::1]'], ['host:port'], ['user@box']])('%s is malformed', (header) => expect(hostName(header)).toBeNull());
});

describe('hostAllowed (viewer routes)', () => {
  const allow = { known: () => ['192.168.1.20', 'fe80::1%eth0', 'sonobox.clinic.example.', '10.42.0.1'] };
  it.each(['192.168.1.20:8080', '10.42.0.1', '[fe80::1]:8080', 'SONOBOX.clinic.example', 'sonobox.clinic.example.:443', 'localhost:8080', '127.0.0.1', '[::1]:80'])('answers %s', (h) => expect(hostAllowed(h, allow)).toBe(true));
  it.each(['rebind.evil.example', '192.168.1.21', 'sonobox.clinic.example.evil.example', '1.2.3.4.nip.io', '', 'evil.example@192.168.1.20'])('refuses %s (DNS rebinding)', (h) => expect(hostAllowed(h, allow)).toBe(false));
  it('follows the address list as it changes (DHCP, hotspot)', () => {
    const now = ['192.168.1.20'];
    const moving = { known: () => now };
    expect(hostAllowed('192.168.1.30', moving)).toBe(false);
    now.push('192.168.1.30');
    expect(hostAllowed('192.168.1.30', moving)).toBe(true);
  });
});

describe('boxOnlyHostAllowed', () => {
  it.each(['localhost', 'localhost:8080', '127.0.0.1:8080', '127.1.2.3', '[::1]:8080', 'cart.localhost'])('answers %s', (h) => expect(boxOnlyHostAllowed(h)).toBe(true));
  it.each(['192.168.1.20:8080', 'sonobox.clinic.example', 'rebind.evil.example', 'localhost.evil.example', undefined])('refuses %s: box-only routes are never reached by a network name', (h) => expect(boxOnlyHostAllowed(h)).toBe(false));
});
