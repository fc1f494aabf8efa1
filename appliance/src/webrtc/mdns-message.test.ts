import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAddressRecords, encodeAddressQuery } from './mdns-message.js';

/** Responses as the browsers sent them on the veth (test/fixtures/README.md: capture-offer.ts --mdns-response). */
const responses = (name: string): Buffer[] =>
  readFileSync(new URL(`./test/fixtures/${name}`, import.meta.url), 'utf8').split('\n').filter(Boolean).map((h) => Buffer.from(h, 'hex'));

describe('encodeAddressQuery', () => {
  it('one QM question per name and type, ID 0, no flags (RFC 6762 §18), annotated bytes', () => {
    const q = encodeAddressQuery(['ab.local']);
    expect(q.toString('hex')).toBe([
      '0000', '0000', '0002', '0000', '0000', '0000', // ID 0, flags 0, QDCOUNT 2, no records
      '026162056c6f63616c00', '0001', '0001', // "ab" "local" 0, A, IN (QU bit clear)
      '026162056c6f63616c00', '001c', '0001', // … AAAA, IN
    ].join(''));
  });
  it('refuses an empty or 64-byte label', () => {
    expect(() => encodeAddressQuery(['a..local'])).toThrow(RangeError);
    expect(() => encodeAddressQuery([`${'x'.repeat(64)}.local`])).toThrow(RangeError);
  });
  it('is read back as a query (no records)', () => {
    expect(decodeAddressRecords(encodeAddressQuery(['ab.local']))).toEqual([]);
  });
});

describe('decodeAddressRecords on real responses', () => {
  it('Firefox ESR 153: A and AAAA for its two names in one response, cache-flush class', () => {
    const [r] = responses('firefox-153-mdns-response.hex');
    expect(decodeAddressRecords(r!)).toEqual([
      { name: 'b2b58896-4f0b-4229-9a6e-88c4db929005.local', family: 4, address: '10.77.0.2' },
      { name: 'caa63d5a-1b01-427d-944b-8b15d6cb06df.local', family: 6, address: 'fd77::2' },
    ]);
  });
  it('Chromium 156 (no camera permission): answers with 0.0.0.0 and :: plus NSEC records', () => {
    // The name stands for its "any address" socket (default-route-only gathering): the box
    // gets nothing routable from it and relies on Chromium's checks (peer-reflexive).
    const records = responses('chromium-156-mdns-response.hex').flatMap((r) => decodeAddressRecords(r));
    expect(records.map((r) => `${r.family} ${r.address}`)).toEqual(['4 0.0.0.0', '6 ::']);
    expect(records.every((r) => /^[0-9a-f-]{36}\.local$/.test(r.name))).toBe(true);
  });
});

describe('decodeAddressRecords on hostile bytes', () => {
  const [real] = responses('firefox-153-mdns-response.hex');
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['a header only, claiming records', Buffer.from('000084000000000500000000', 'hex')],
    ['truncated in the middle of a record', real!.subarray(0, 60)],
    ['a compression pointer loop', Buffer.from('00008400000000010000000' + '0c00c000100010000007800040a000001', 'hex')],
    ['a pointer past the end', Buffer.from('000084000000000100000000c0ff000100010000007800040a000001', 'hex')],
    ['a label running past the end', Buffer.from('00008400000000010000000040', 'hex')],
  ];
  it.each(cases)('%s: no record, no throw', (_name, bytes) => {
    expect(decodeAddressRecords(bytes)).toEqual([]);
  });
  it('an A record with a wrong length is skipped, the next one read', () => {
    const name = '026162056c6f63616c00';
    const msg = Buffer.from('000084000000000200000000' + name + '0001000100000078000301020' + '3' + name + '00010001000000780004c0000201', 'hex');
    expect(decodeAddressRecords(msg)).toEqual([{ name: 'ab.local', family: 4, address: '192.0.2.1' }]);
  });
});
