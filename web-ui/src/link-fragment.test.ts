import { describe, expect, it } from 'vitest';
import { linkUrl, parseFragment, type FragmentParse } from './link-fragment.js';

const TOKEN = 'q3Jx_8v-Zb1mK0pLr7sTwA'; // 16 random bytes, base64url, as the box issues
const FP = '65:5D:9A:E7:94:19:F8:D6:45:E1:AB:6B:45:C9:38:04:0E:A7:18:BD:8D:5F:D8:41:33:79:7D:45:44:F1:B0:2D';

const ok = (token: string, fingerprint: string | null = null): FragmentParse => ({ ok: true, link: { token, fingerprint } });

const cases: Array<[name: string, hash: string, expected: FragmentParse]> = [
  ['bare token with #', `#${TOKEN}`, ok(TOKEN)],
  ['bare token without #', TOKEN, ok(TOKEN)],
  ['bare token with base64 padding', 'abcd==', ok('abcd==')],
  ['empty hash', '', { ok: false, reason: 'missing' }],
  ['lone #', '#', { ok: false, reason: 'missing' }],
  ['t= only', `#t=${TOKEN}`, ok(TOKEN)],
  ['t= and f= (hex, percent-encoded colons)', `#t=${TOKEN}&f=${encodeURIComponent(FP)}`, ok(TOKEN, FP)],
  ['f= before t=', `#f=abc_DEF-0123456789abcdefghijklmnopq&t=${TOKEN}`, ok(TOKEN, 'abc_DEF-0123456789abcdefghijklmnopq')],
  ['unknown keys are ignored', `#t=${TOKEN}&v=2`, ok(TOKEN)],
  ['f= without t=', '#f=abcdef', { ok: false, reason: 'malformed' }],
  ['empty f=', `#t=${TOKEN}&f=`, { ok: false, reason: 'malformed' }],
  ['token with a character outside base64url', '#abc+def', { ok: false, reason: 'malformed' }],
  ['t= with a slash', '#t=ab/cd', { ok: false, reason: 'malformed' }],
  ['duplicate t=', `#t=${TOKEN}&t=other`, { ok: false, reason: 'malformed' }],
  ['pair without =', `#t=${TOKEN}&junk`, { ok: false, reason: 'malformed' }],
  ['broken percent-encoding', `#t=${TOKEN}&f=%E0%A4%A`, { ok: false, reason: 'malformed' }],
  ['absurdly long token', `#${'a'.repeat(600)}`, { ok: false, reason: 'malformed' }],
];

describe('parseFragment', () => {
  it.each(cases)('%s', (_name, hash, expected) => {
    expect(parseFragment(hash)).toEqual(expected);
  });
});

describe('linkUrl', () => {
  it('rebuilds the link the page was opened with, which parses back to the same secret', () => {
    const link = { token: 'q3Jx_8v-Zb1mK0pLr7sTwA', fingerprint: 'ZV2a55QZ-NZF4atrRck4BA6nGL2NX9hBM3l9RUTxsC0' };
    const url = linkUrl('http://10.77.0.1:8080/v', link);
    expect(url).toBe('http://10.77.0.1:8080/v#t=q3Jx_8v-Zb1mK0pLr7sTwA&f=ZV2a55QZ-NZF4atrRck4BA6nGL2NX9hBM3l9RUTxsC0');
    expect(parseFragment(new URL(url).hash)).toEqual({ ok: true, link });
    expect(linkUrl('http://b/v', { token: 'abc', fingerprint: null })).toBe('http://b/v#t=abc');
  });
});
