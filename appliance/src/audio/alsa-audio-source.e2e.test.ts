/**
 * AlsaAudioSource on the host, with the real opus-pipe helper and alsa-lib but no sound
 * card (CI machines have none): every way of having no audio is a condition, retried with
 * back-off, and start() never throws or blocks. Capturing real sound from a real ALSA
 * device (snd-aloop) and unplugging it mid-stream: hw-tests/audio-aloop.hw.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AlsaAudioSource } from './alsa-audio-source.js';
import type { AudioCondition } from './audio-frame.js';
import { until } from './test/until.js';

const fast = { initialMs: 50, maxMs: 100, healthyResetMs: 10_000 };
const sources: AlsaAudioSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});
const dir = mkdtempSync(join(tmpdir(), 'sb-au-alsa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function watch(src: AlsaAudioSource): { conditions: [AudioCondition, string | undefined][] } {
  const w = { conditions: [] as [AudioCondition, string | undefined][] };
  src.start({ onPacket: () => {}, onCondition: (c, d) => w.conditions.push([c, d]) });
  sources.push(src);
  return w;
}

describe('AlsaAudioSource without a sound card', () => {
  it("is 'waiting' until start(); start() opens nothing on the caller's turn (the helper does)", () => {
    const src = new AlsaAudioSource({ device: { alsaDevice: 'plughw:CARD=sbAuNone,DEV=0' }, backoff: fast });
    expect(src.status().condition).toBe('waiting');
    const w = watch(src);
    // The device's fate is known only once the helper has tried: nothing reported yet.
    expect(w.conditions).toEqual([]);
    expect(src.status().condition).toBe('waiting');
  });

  it("a named ALSA card that is not there: 'no-device' once, retried (the helper ran and said so)", async () => {
    const src = new AlsaAudioSource({ device: { alsaDevice: 'plughw:CARD=sbAuNone,DEV=0' }, backoff: fast });
    const w = watch(src);
    await until(() => src.status().reopens >= 3, '3 reopens');
    expect(w.conditions).toHaveLength(1);
    expect(w.conditions[0]![0]).toBe('no-device');
    expect(w.conditions[0]![1]).toMatch(/^plughw:CARD=sbAuNone,DEV=0: cannot open ALSA capture device/);
  });

  it("an ALSA name that is not a device at all: 'error' with alsa-lib's reason", async () => {
    const src = new AlsaAudioSource({ device: { alsaDevice: 'sb_au_no_such_pcm_definition' }, backoff: fast });
    const w = watch(src);
    await until(() => w.conditions.length > 0, 'a condition');
    expect(w.conditions[0]![0]).toMatch(/^(error|no-device)$/);
    expect(w.conditions[0]![1]).toContain('sb_au_no_such_pcm_definition');
  });

  it("auto on a dongle without audio (fake sysfs): 'no-device' saying so, looked for again at every retry", async () => {
    const sys = join(dir, 'sys');
    const usb = join(sys, 'devices/pci0000:00/0000:00:14.0/usb1/1-3');
    const node = join(usb, '1-3:1.0/video4linux/video0');
    mkdirSync(node, { recursive: true });
    for (const [f, v] of [['idVendor', 'eba4'], ['idProduct', '7588'], ['busnum', '1']]) writeFileSync(join(usb, f!), `${v}\n`);
    mkdirSync(join(sys, 'class/video4linux'), { recursive: true });
    symlinkSync(node, join(sys, 'class/video4linux/video0'));
    mkdirSync(join(dir, 'dev'), { recursive: true });
    writeFileSync(join(dir, 'dev/video0'), '');
    const src = new AlsaAudioSource({ device: { videoDevice: join(dir, 'dev/video0') }, sysRoot: sys, backoff: fast });
    const w = watch(src);
    await until(() => src.status().reopens >= 2, '2 reopens');
    expect(w.conditions).toEqual([['no-device', 'the capture dongle (USB eba4:7588) has no sound card: it carries no audio']]);
    expect(src.status()).toMatchObject({ condition: 'no-device', packets: 0 });
  });

  it("a missing helper binary is an 'error' condition that says how to build it, not a crash", async () => {
    const src = new AlsaAudioSource({ device: { alsaDevice: 'default' }, helperPath: join(dir, 'no-opus-pipe'), backoff: fast });
    const w = watch(src);
    await until(() => w.conditions.length > 0, 'a condition');
    expect(w.conditions[0]).toEqual(['error', expect.stringMatching(/npm run build:native/)]);
  });
});
