import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCaptureDevice, listVideoNodes, pickCaptureNodes } from './v4l2-discovery.js';

// A fake /sys/class/video4linux + /dev, shaped like a Pi 4 with a UVC dongle: the codec
// nodes come first, the dongle has a capture node and a metadata node.
const root = mkdtempSync(join(tmpdir(), 'v4l2-discovery-'));
const sys = join(root, 'sys');
const dev = join(root, 'dev');
const drivers = join(root, 'drivers');
mkdirSync(dev);
const nodes: [string, string, string][] = [
  ['video10', 'bcm2835-codec-decode', 'bcm2835-codec'],
  ['video11', 'bcm2835-codec-encode', 'bcm2835-codec'],
  ['video2', 'USB3 Video: USB3 Video', 'uvcvideo'],
  ['video3', 'USB3 Video: USB3 Video', 'uvcvideo'],
];
for (const [node, name, driver] of nodes) {
  mkdirSync(join(sys, node, 'device'), { recursive: true });
  mkdirSync(join(drivers, driver), { recursive: true });
  writeFileSync(join(sys, node, 'name'), `${name}\n`);
  symlinkSync(join(drivers, driver), join(sys, node, 'device', 'driver'));
  writeFileSync(join(dev, node), '');
}
const captureNodes = new Set([join(dev, 'video2')]); // video3 is UVC metadata
const opts = { sysClassDir: sys, devDir: dev, stablePath: join(dev, 'sonobox', 'capture'), probeCapture: (p: string) => captureNodes.has(p) };
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('v4l2 discovery', () => {
  it('lists nodes in number order with name and driver from sysfs', () => {
    expect(listVideoNodes(opts).map((n) => `${n.path.slice(dev.length + 1)} ${n.driver} ${n.isCapture}`)).toEqual([
      'video2 uvcvideo true',
      'video3 uvcvideo false',
      'video10 bcm2835-codec false',
      'video11 bcm2835-codec false',
    ]);
  });

  it('finds the UVC capture node, not its metadata node or the codec', () => {
    expect(findCaptureDevice(opts)).toBe(join(dev, 'video2'));
  });

  it('prefers the stable udev name when it exists', () => {
    mkdirSync(join(dev, 'sonobox'));
    writeFileSync(join(dev, 'sonobox', 'capture'), '');
    try {
      expect(findCaptureDevice(opts)).toBe(join(dev, 'sonobox', 'capture'));
    } finally {
      rmSync(join(dev, 'sonobox'), { recursive: true });
    }
  });

  it('the scan opens only nodes of the accepted drivers (it repeats every retry while no dongle is in)', () => {
    const opened: string[] = [];
    expect(findCaptureDevice({ ...opts, probeCapture: (p) => (opened.push(p), captureNodes.has(p)) })).toBe(join(dev, 'video2'));
    expect(opened.sort()).toEqual([join(dev, 'video2'), join(dev, 'video3')]);
  });

  it('finds nothing when no accepted driver can capture', () => {
    expect(findCaptureDevice({ ...opts, drivers: ['vivid'] })).toBeUndefined();
    expect(pickCaptureNodes([], ['uvcvideo'])).toEqual([]);
  });

  it('returns no nodes when sysfs has no video4linux class', () => {
    expect(listVideoNodes({ ...opts, sysClassDir: join(root, 'missing') })).toEqual([]);
  });
});
