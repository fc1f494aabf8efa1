import { describe, expect, it } from 'vitest';
import { generatePassphrase, PASSPHRASE_ALPHABET, PASSPHRASE_LENGTH, passphraseBits } from './wifi-passphrase.js';

describe('hotspot passphrase', () => {
  it('is 24 readable symbols (~119 bits) from the CSPRNG', () => {
    const p = generatePassphrase();
    expect(p).toHaveLength(PASSPHRASE_LENGTH);
    expect(p).toMatch(/^[a-hjkmnp-z2-9]+$/);
    expect(passphraseBits()).toBeGreaterThan(118);
  });

  it('has no look-alike characters in its alphabet', () => {
    for (const c of '0oO1lIiL') expect(PASSPHRASE_ALPHABET).not.toContain(c);
    expect(new Set(PASSPHRASE_ALPHABET).size).toBe(PASSPHRASE_ALPHABET.length);
  });

  it('differs every time and uses the whole alphabet evenly', () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const p = generatePassphrase();
      seen.add(p);
      for (const c of p) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(2000);
    expect(counts.size).toBe(PASSPHRASE_ALPHABET.length);
    // 48,000 symbols over 31 → ~1548 each; a biased generator would miss ±15 %.
    for (const n of counts.values()) expect(Math.abs(n - 48_000 / 31)).toBeLessThan(0.15 * (48_000 / 31));
  });

  it.each([[19], [64], [20.5]])('refuses length %d', (n) => {
    expect(() => generatePassphrase(n)).toThrow(/20\.\.63/);
  });

  it('maps picks onto the alphabet (deterministic source)', () => {
    let i = 0;
    expect(generatePassphrase(20, () => i++ % 31)).toBe(PASSPHRASE_ALPHABET.slice(0, 20));
  });
});
