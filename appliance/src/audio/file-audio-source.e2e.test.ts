/**
 * The looped file's audio track through Debian's ffmpeg and the real Opus helper. Clips are
 * made on the spot by ffmpeg's lavfi (a 440 Hz sine under a test picture; the same picture
 * without sound), 1 s long so the loop is crossed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureClockMs } from '../media/raw-frame.js';
import type { AudioCondition, OpusPacket } from './audio-frame.js';
import { EncodedAudioSource } from './encoded-audio-source.js';
import { FileAudioSource, fileHasAudio } from './file-audio-source.js';
import { decodeWithFfmpeg } from './test/ogg-opus.js';
import { dominantHz } from './test/spectrum.js';
import { until } from './test/until.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-au-file-'));
const withSound = join(dir, 'tone.mp4');
const silentFilm = join(dir, 'picture-only.mp4');
beforeAll(() => {
  const ff = (args: string[]): void => void execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  ff(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=1', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1', '-c:v', 'libx264', '-c:a', 'aac', '-shortest', withSound]);
  ff(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=1', '-c:v', 'libx264', silentFilm]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

describe('FileAudioSource', () => {
  it('finds an audio track, and none in a picture-only clip', async () => {
    expect(await fileHasAudio(withSound)).toBe(true);
    expect(await fileHasAudio(silentFilm)).toBe(false);
  });

  it('plays the clip\'s 440 Hz track, looped, at real time, on the capture clock', async () => {
    const src = new EncodedAudioSource(new FileAudioSource({ path: withSound }));
    const packets: { p: OpusPacket; at: number }[] = [];
    const conditions: AudioCondition[] = [];
    src.start({ onPacket: (p) => packets.push({ p, at: captureClockMs() }), onCondition: (c) => conditions.push(c) });
    stops.push(() => src.stop());
    const t0 = captureClockMs();
    await until(() => packets.length >= 125, '2.5 s of the looped clip', 15_000);
    const elapsed = captureClockMs() - t0;
    await src.stop();
    expect(conditions).toEqual(['live']);
    // Real time (-re): 2.5 s of sound took about 2.5 s, not a burst.
    expect(elapsed).toBeGreaterThan(2000);
    // Capture times are steadied to 20 ms apart and come before each packet's arrival.
    const gaps = packets.slice(20).map((x, i) => x.p.captureTimeMs - packets[19 + i]!.p.captureTimeMs);
    expect(Math.max(...gaps.map((g) => Math.abs(g - 20)))).toBeLessThan(3);
    for (const { p, at } of packets.slice(5)) expect(p.captureTimeMs).toBeLessThan(at);
    const pcm = await decodeWithFfmpeg(packets.map((x) => x.p.payload));
    expect(Math.abs(dominantHz(pcm, 48_000, 48_000) - 440) / 440).toBeLessThan(0.02);
  });

  it("a clip without sound: 'no-device' (\"the clip has no audio track\"), no ffmpeg, no packets", async () => {
    const src = new EncodedAudioSource(new FileAudioSource({ path: silentFilm }));
    const conditions: [AudioCondition, string | undefined][] = [];
    let packets = 0;
    src.start({ onPacket: () => packets++, onCondition: (c, d) => conditions.push([c, d]) });
    stops.push(() => src.stop());
    await until(() => conditions.length > 0, 'a condition');
    await new Promise((r) => setTimeout(r, 300));
    expect(conditions).toEqual([['no-device', 'the clip has no audio track']]);
    expect(packets).toBe(0);
  });
});
