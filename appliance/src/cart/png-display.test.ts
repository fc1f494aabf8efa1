import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { humanCode } from './cart-sessions.js';
import { PngDisplay, pngToCanvas } from './png-display.js';
import { renderScreen } from './screens.js';

describe('PngDisplay (dev mode)', () => {
  it('keeps the latest screen as PNG bytes and writes it to the given path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonobox-png-'));
    try {
      const path = join(dir, 'cart.png');
      const d = new PngDisplay(480, 320, path);
      expect(d.latestPng()).toBeUndefined();
      const canvas = renderScreen({ screen: 'ended', reason: 'button' }, d.geometry, 'fr');
      d.show(canvas);
      const png = d.latestPng()!;
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(pngToCanvas(png)).toEqual(canvas);
      expect(readFileSync(path).equals(png)).toBe(true);
      expect(existsSync(path + '.tmp')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('humanCode', () => {
  it('is short, readable, stable, and not a piece of the token', () => {
    const token = 'q0FyK2xzd2VmLWV4YW1wbGUtdG9rZW4tZm9yLXRlc3Q';
    const code = humanCode(token);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$/);
    expect(humanCode(token)).toBe(code);
    expect(humanCode(token + 'x')).not.toBe(code);
    expect(token.toUpperCase()).not.toContain(code.replace('-', ''));
  });
});
