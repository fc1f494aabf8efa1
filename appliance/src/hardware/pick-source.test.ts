/**
 * Which source `source.spec` picks, on a fake /sys + /dev tree. The regression this guards:
 * with no dongle at start, the appliance used to stream the test pattern until it was
 * restarted (a parent would take it for the scan); it must show the "no capture device"
 * slate and pick up a dongle plugged in later.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceCondition } from '../media/source-condition.js';
import { memoryLogger } from '../system/test/memory-logger.js';
import { defaultConfig, type Config } from '../config/config.js';
import { pickSource } from './pick-source.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A machine with sysfs and /dev but no capture device. */
function emptyMachine(): string {
  const root = mkdtempSync(join(tmpdir(), 'sb-hb-pick-source-'));
  roots.push(root);
  mkdirSync(join(root, 'sys/class/video4linux'), { recursive: true });
  mkdirSync(join(root, 'dev'));
  return root;
}

/** udev's stable name appears (a plain file here: it opens, but answers no V4L2 ioctl). */
function plugIn(root: string): string {
  mkdirSync(join(root, 'dev/sonobox'), { recursive: true });
  const path = join(root, 'dev/sonobox/capture');
  writeFileSync(path, '');
  return path;
}

const config = (spec: string, appliance: boolean): Config => ({ ...structuredClone(defaultConfig), appliance, source: { ...defaultConfig.source, spec, width: 320, height: 240 } });
const env = (root: string): Parameters<typeof pickSource>[1] => ({ root, stdin: new PassThrough(), logger: memoryLogger().logger });

describe('pickSource', () => {
  it.each([
    { name: 'auto on the appliance, no dongle', spec: 'auto', appliance: true, plugged: false, kind: 'v4l2', reason: /the capture dongle .*"no capture device" slate/ },
    { name: 'capture on a PC, no dongle', spec: 'capture', appliance: false, plugged: false, kind: 'v4l2', reason: /source capture: the capture dongle/ },
    { name: 'auto on a PC, no dongle: the development fallback', spec: 'auto', appliance: false, plugged: false, kind: 'test-pattern', reason: /no capture dongle plugged in at start, so the test pattern \(development fallback/ },
    { name: 'auto on a PC with a dongle', spec: 'auto', appliance: false, plugged: true, kind: 'v4l2', reason: /source auto: capture dongle .*dev\/sonobox\/capture/ },
    { name: 'the test pattern chosen on the appliance is honoured', spec: 'test-pattern', appliance: true, plugged: false, kind: 'test-pattern', reason: /chosen in the configuration/ },
  ])('$name → $kind', ({ spec, appliance, plugged, kind, reason }) => {
    const root = emptyMachine();
    if (plugged) plugIn(root);
    const picked = pickSource(config(spec, appliance), env(root));
    expect(picked.source.kind).toBe(kind);
    expect(picked.reason).toMatch(reason);
  });

  it('on the appliance with no dongle at start: "no capture device", then the dongle plugged in later is opened within 3 s', async () => {
    const root = emptyMachine();
    const { source } = pickSource(config('auto', true), env(root));
    const seen: { condition: SourceCondition; detail?: string; at: number }[] = [];
    let frames = 0;
    source.start({ onFrame: () => frames++, onCondition: (condition, detail) => seen.push({ condition, ...(detail ? { detail } : {}), at: performance.now() }) });
    try {
      await until(() => seen.length > 0, 3000);
      expect(seen[0]).toMatchObject({ condition: 'no-device' });
      await new Promise((r) => setTimeout(r, 600)); // a few retries: still nothing, still no test pattern
      expect(frames).toBe(0);
      expect(seen.map((s) => s.condition)).toEqual(['no-device']);

      const path = plugIn(root);
      const pluggedAt = performance.now();
      // The file opens but is no V4L2 device: the source's next attempt gets as far as an
      // ioctl and says so, naming the path (a real dongle would go live here: hw-tests).
      await until(() => seen.length > 1, 3000);
      expect(seen[1]!.condition).toBe('error');
      expect(seen[1]!.detail).toContain(path);
      expect(seen[1]!.at - pluggedAt).toBeLessThan(3000);
      expect(frames).toBe(0);
    } finally {
      await source.stop();
    }
  });
});

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
