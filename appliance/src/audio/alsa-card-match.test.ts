import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findAudioCard, isAudioCard, ms2109QuirkMissing, usbDeviceOf, videoSysPath } from './alsa-card-match.js';

/**
 * Fake sysfs trees laid out like the kernel's: devices/… with the USB device directory
 * (idVendor, idProduct, busnum), its interfaces (1-2:1.0 …) holding video4linux/videoN and
 * sound/cardN/pcmCNDdc, and class/video4linux, class/sound as symlinks into them.
 */
const root = mkdtempSync(join(tmpdir(), 'sb-au-sysfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let treeNo = 0;
interface Tree { sys: string; dev: string }

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${text}\n`);
}
function classLink(sys: string, cls: string, name: string, target: string): void {
  const link = join(sys, 'class', cls, name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(relative(dirname(link), target), link);
}
function usbDevice(dir: string, vendor: string, product: string): void {
  write(join(dir, 'idVendor'), vendor);
  write(join(dir, 'idProduct'), product);
  write(join(dir, 'busnum'), '1');
}
function video(sys: string, iface: string, n: number, index = 0): void {
  const d = join(iface, 'video4linux', `video${n}`);
  write(join(d, 'name'), 'USB Video: USB Video');
  write(join(d, 'index'), String(index));
  classLink(sys, 'video4linux', `video${n}`, d);
}
function card(sys: string, iface: string, n: number, id: string, pcms: string[]): void {
  const d = join(iface, 'sound', `card${n}`);
  write(join(d, 'id'), id);
  write(join(d, 'number'), String(n));
  mkdirSync(join(d, `controlC${n}`), { recursive: true });
  for (const p of pcms) mkdirSync(join(d, p), { recursive: true });
  classLink(sys, 'sound', `card${n}`, d);
}

/** A PC with a root hub and onboard HD audio (card0, a microphone that must never be picked). */
function pc(): Tree {
  const sys = join(root, `t${treeNo++}`, 'sys');
  const dev = join(dirname(sys), 'dev');
  mkdirSync(dev, { recursive: true });
  const pci = join(sys, 'devices', 'pci0000:00');
  usbDevice(join(pci, '0000:00:14.0', 'usb1'), '1d6b', '0002');
  usbDevice(join(pci, '0000:00:14.0', 'usb2'), '1d6b', '0003');
  card(sys, join(pci, '0000:00:1f.3'), 0, 'PCH', ['pcmC0D0p', 'pcmC0D0c']);
  return { sys, dev };
}
const usb1 = (t: Tree): string => join(t.sys, 'devices', 'pci0000:00', '0000:00:14.0', 'usb1');
const usb2 = (t: Tree): string => join(t.sys, 'devices', 'pci0000:00', '0000:00:14.0', 'usb2');

/** MS2109 (USB 2, 534d:2109): video on 1.0 (+ metadata node on 1.0's second index), audio control 1.2, streaming 1.3, HID 1.4. */
function ms2109(t: Tree, port: string, videoNo: number, cardNo: number, parent = usb1(t)): void {
  const d = join(parent, port);
  usbDevice(d, '534d', '2109');
  video(t.sys, join(d, `${port}:1.0`), videoNo);
  video(t.sys, join(d, `${port}:1.0`), videoNo + 1, 1);
  mkdirSync(join(d, `${port}:1.1`), { recursive: true });
  card(t.sys, join(d, `${port}:1.2`), cardNo, 'MS2109', ['pcmC' + cardNo + 'D0c']);
  mkdirSync(join(d, `${port}:1.3`), { recursive: true });
  mkdirSync(join(d, `${port}:1.4`), { recursive: true });
}

describe('findAudioCard on fake sysfs trees', () => {
  it('MS2109-like dongle: its own card by id, never the PC microphone (card0)', () => {
    const t = pc();
    ms2109(t, '1-2', 0, 1);
    const r = findAudioCard(join(t.sys, 'class/video4linux/video0'), { sysRoot: t.sys });
    expect(r).toEqual({ alsaName: 'plughw:CARD=MS2109,DEV=0', cardNumber: 1, cardId: 'MS2109', pcmDevice: 0, usbId: '534d:2109' });
    // The metadata node of the same dongle maps to the same card.
    expect(findAudioCard(join(t.sys, 'class/video4linux/video1'), { sysRoot: t.sys })).toMatchObject({ cardNumber: 1 });
  });

  it('MS2130-like USB 3 dongle behind usb2, card with playback and capture: the capture PCM', () => {
    const t = pc();
    const d = join(usb2(t), '2-1');
    usbDevice(d, '345f', '2130');
    video(t.sys, join(d, '2-1:1.0'), 2);
    card(t.sys, join(d, '2-1:1.3'), 3, 'USB3Video', ['pcmC3D0p', 'pcmC3D1c']);
    const r = findAudioCard(join(t.sys, 'class/video4linux/video2'), { sysRoot: t.sys });
    expect(r).toMatchObject({ alsaName: 'plughw:CARD=USB3Video,DEV=1', cardNumber: 3, usbId: '345f:2130' });
  });

  it('dongle without audio: no-audio, even with a USB headset on the next port', () => {
    const t = pc();
    const d = join(usb1(t), '1-3');
    usbDevice(d, 'eba4', '7588');
    video(t.sys, join(d, '1-3:1.0'), 0);
    const headset = join(usb1(t), '1-4');
    usbDevice(headset, '046d', '0a44');
    card(t.sys, join(headset, '1-4:1.0'), 1, 'Headset', ['pcmC1D0p', 'pcmC1D0c']);
    const r = findAudioCard(join(t.sys, 'class/video4linux/video0'), { sysRoot: t.sys });
    expect(r).toMatchObject({ reason: 'no-audio' });
    expect(isAudioCard(r)).toBe(false);
  });

  it('two dongles: each video node gets its own card', () => {
    const t = pc();
    ms2109(t, '1-2', 0, 1);
    ms2109(t, '1-3', 2, 2);
    expect(findAudioCard(join(t.sys, 'class/video4linux/video0'), { sysRoot: t.sys })).toMatchObject({ cardNumber: 1 });
    expect(findAudioCard(join(t.sys, 'class/video4linux/video2'), { sysRoot: t.sys })).toMatchObject({ cardNumber: 2 });
  });

  it('dongle behind a hub: the walk stops at the dongle (1-1.4), not the hub (1-1)', () => {
    const t = pc();
    const hub = join(usb1(t), '1-1');
    usbDevice(hub, '05e3', '0608');
    ms2109(t, '1-1.4', 0, 1, hub);
    expect(usbDeviceOf(join(t.sys, 'class/video4linux/video0'), t.sys)).toBe(join(hub, '1-1.4'));
    expect(findAudioCard(join(t.sys, 'class/video4linux/video0'), { sysRoot: t.sys })).toMatchObject({ cardNumber: 1 });
  });

  it('a card with only playback: no-capture-pcm', () => {
    const t = pc();
    const d = join(usb1(t), '1-2');
    usbDevice(d, '1234', '5678');
    video(t.sys, join(d, '1-2:1.0'), 0);
    card(t.sys, join(d, '1-2:1.2'), 1, 'Speaker', ['pcmC1D0p']);
    expect(findAudioCard(join(t.sys, 'class/video4linux/video0'), { sysRoot: t.sys })).toMatchObject({ reason: 'no-capture-pcm' });
  });

  it('a platform capture device (vivid) is not-usb; a missing node is no-video-node', () => {
    const t = pc();
    video(t.sys, join(t.sys, 'devices', 'platform', 'vivid.0'), 0);
    expect(findAudioCard(join(t.sys, 'class/video4linux/video0'), { sysRoot: t.sys })).toMatchObject({ reason: 'not-usb' });
    expect(findAudioCard(join(t.sys, 'class/video4linux/video9'), { sysRoot: t.sys })).toMatchObject({ reason: 'no-video-node' });
    expect(findAudioCard(undefined, { sysRoot: t.sys })).toMatchObject({ reason: 'no-video-node' });
  });

  it('videoSysPath follows the udev symlink (/dev/sonobox/capture → /dev/video0)', () => {
    const t = pc();
    ms2109(t, '1-2', 0, 1);
    writeFileSync(join(t.dev, 'video0'), '');
    mkdirSync(join(t.dev, 'sonobox'));
    symlinkSync('../video0', join(t.dev, 'sonobox', 'capture'));
    expect(videoSysPath(join(t.dev, 'sonobox', 'capture'), t.sys)).toBe(join(t.sys, 'class/video4linux/video0'));
    expect(videoSysPath(join(t.dev, 'video7'), t.sys)).toBeUndefined();
  });
});

describe('ms2109QuirkMissing (/proc/asound/cardN/stream0)', () => {
  const withQuirk = 'MacroSilicon MS2109 at usb-0000:01:00.0-1.2, high speed : USB Audio\n\nCapture:\n  Status: Stop\n  Interface 3\n    Altset 1\n    Format: S16_LE\n    Channels: 2\n    Endpoint: 0x82 (2 IN) (ASYNC)\n    Rates: 48000\n';
  const withoutQuirk = withQuirk.replace('Channels: 2', 'Channels: 1').replace('Rates: 48000', 'Rates: 96000');
  it.each([
    ['MS2109 on a kernel with the quirk (48 kHz stereo)', '534d:2109', withQuirk, false],
    ['MS2109 on a kernel without it (96 kHz mono)', '534d:2109', withoutQuirk, true],
    ['another dongle that really is 96 kHz mono', '345f:2130', withoutQuirk, false],
    ['no capture section', '534d:2109', 'MacroSilicon MS2109\n\nPlayback:\n    Rates: 96000\n    Channels: 1\n', false],
  ])('%s', (_name, usbId, text, warns) => {
    expect(ms2109QuirkMissing(usbId, text) !== undefined).toBe(warns);
  });
});
