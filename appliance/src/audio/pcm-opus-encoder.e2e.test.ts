/**
 * The real opus-pipe helper (libopus) end to end on the host: known tones in, Opus packets
 * out, decoded by an independent decoder (Debian's ffmpeg, from an Ogg Opus stream) and by
 * libopus in the helper's --decode test mode, the frequency found by FFT.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { captureClockMs } from '../media/raw-frame.js';
import { AUDIO_FRAME_SAMPLES, type AudioCondition, type OpusPacket } from './audio-frame.js';
import { EncodedAudioSource } from './encoded-audio-source.js';
import { burstStartAtOrBefore, HEARTBEAT } from '../media/heartbeat-schedule.js';
import { opusPipePath } from './opus-pipe-process.js';
import { packetMessage } from './opus-pipe-protocol.js';
import { opusPacketSamples } from './opus-rtp-packetizer.js';
import { PcmOpusEncoder } from './pcm-opus-encoder.js';
import { HeartbeatSource } from './synthetic-heartbeat-source.js';
import { decodeWithFfmpeg } from './test/ogg-opus.js';
import { dominantHz, spectralPeaks, tone } from './test/spectrum.js';
import { until } from './test/until.js';

const T0 = 1_764_000_000_000;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

/** Encodes `pcm` (S16LE, `channels`) as 20 ms frames, as fast as the helper takes them. */
async function encode(pcm: Buffer, channels: 1 | 2 = 1, enc = new PcmOpusEncoder({ maxFramesInFlight: 1000 })): Promise<OpusPacket[]> {
  const packets: OpusPacket[] = [];
  enc.start((p) => packets.push(p));
  stops.push(() => enc.stop());
  const frameBytes = AUDIO_FRAME_SAMPLES * 2 * channels;
  const frames = Math.floor(pcm.length / frameBytes);
  for (let k = 0; k < frames; k++) {
    enc.encode({ channels, data: pcm.subarray(k * frameBytes, (k + 1) * frameBytes), captureTimeMs: T0 + 20 * k, seq: k, discontinuity: k === 0 });
  }
  await until(() => packets.length === frames, `${frames} packets`);
  return packets;
}

/** libopus (the helper's --decode mode) as a second decoder. */
async function decodeWithHelper(packets: OpusPacket[]): Promise<Int16Array> {
  const child = spawn(opusPipePath, ['--decode'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stdin.end(Buffer.concat(packets.map((p) => packetMessage({ ...p, monotonic: false }))));
  await new Promise((r) => child.on('close', r));
  const b = Buffer.concat(out);
  return new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
}

describe('PcmOpusEncoder (opus-pipe --stdin, libopus)', () => {
  it.each([440, 1000])('a %d Hz tone comes back at the same frequency ±2 %% (ffmpeg and libopus decoders)', async (hz) => {
    const packets = await encode(tone(hz, 2));
    expect(packets).toHaveLength(100);
    expect(packets.map((p) => p.seq)).toEqual([...Array(100).keys()]);
    for (const p of packets) expect(opusPacketSamples(p.payload)).toBe(960);
    // Capture time is the frame's minus the encoder's lookahead (6.5 ms for APPLICATION_AUDIO).
    expect(packets[10]!.captureTimeMs - (T0 + 200)).toBeCloseTo(-6.5, 6);
    expect(packets[0]!.discontinuity).toBe(true);
    expect(packets.slice(1).every((p) => !p.discontinuity)).toBe(true);
    // ~96 kbit/s: 240 bytes per 20 ms on average (VBR; a pure tone needs less).
    const kbps = (packets.reduce((s, p) => s + p.payload.length, 0) * 8) / 2000;
    expect(kbps).toBeGreaterThan(30);
    expect(kbps).toBeLessThan(130);
    expect(packets[50]!.peak).toBeGreaterThan(0.45 * 32767);
    for (const pcm of [await decodeWithFfmpeg(packets.map((p) => p.payload)), await decodeWithHelper(packets)]) {
      expect(pcm.length).toBeGreaterThan(1.5 * 48_000);
      expect(Math.abs(dominantHz(pcm, 48_000, 24_000) - hz) / hz).toBeLessThan(0.02);
    }
  });

  it('downmixes stereo: 440 Hz on the left and 1 kHz on the right both come out of the mono stream', async () => {
    const l = tone(440, 2);
    const r = tone(1000, 2);
    const stereo = Buffer.alloc(l.length * 2);
    for (let i = 0; i < l.length / 2; i++) {
      stereo.writeInt16LE(l.readInt16LE(i * 2), i * 4);
      stereo.writeInt16LE(r.readInt16LE(i * 2), i * 4 + 2);
    }
    const pcm = await decodeWithFfmpeg((await encode(stereo, 2)).map((p) => p.payload));
    const peaks = spectralPeaks(pcm, 48_000, 16_384, 24_000, 2).map((p) => p.hz).sort((a, b) => a - b);
    expect(Math.abs(peaks[0]! - 440)).toBeLessThan(9);
    expect(Math.abs(peaks[1]! - 1000)).toBeLessThan(20);
  });

  it('restarts a killed helper with back-off; frames meanwhile are dropped and the next packet is a discontinuity', async () => {
    const enc = new PcmOpusEncoder({ backoff: { initialMs: 100, maxMs: 100, healthyResetMs: 10_000 } });
    const packets: OpusPacket[] = [];
    enc.start((p) => packets.push(p));
    stops.push(() => enc.stop());
    const frame = (k: number): void => enc.encode({ channels: 1, data: tone(440, 0.02), captureTimeMs: T0 + 20 * k, seq: k, discontinuity: k === 0 });
    for (let k = 0; k < 5; k++) frame(k);
    await until(() => packets.length === 5, '5 packets');
    process.kill(enc.helperPid!, 'SIGKILL');
    await until(() => enc.helperPid === undefined, 'the helper to be gone');
    frame(5); // dropped: no helper
    await until(() => enc.helperPid !== undefined, 'a restarted helper');
    frame(6);
    await until(() => packets.length === 6, 'a packet from the restarted helper');
    expect(packets[5]).toMatchObject({ seq: 6, discontinuity: true });
    expect(enc.stats).toMatchObject({ framesIn: 7, packets: 6, framesDropped: 1, restarts: 1 });
  });
});

describe('HeartbeatSource → EncodedAudioSource: the burst plays at its scheduled capture time', () => {
  it('packets every 20 ms on the capture clock, live, and the decoded bursts start on the 500 ms grid ±1 ms', async () => {
    const src = new EncodedAudioSource(new HeartbeatSource());
    const packets: OpusPacket[] = [];
    const conditions: AudioCondition[] = [];
    src.start({ onPacket: (p) => packets.push(p), onCondition: (c) => conditions.push(c) });
    stops.push(() => src.stop());
    const started = captureClockMs();
    await until(() => packets.length >= 125, '2.5 s of heartbeat', 15_000);
    await src.stop();
    expect(conditions).toEqual(['live']);
    // Capture times are exact (20 ms apart) and no later than when the packets arrived.
    for (let i = 1; i < packets.length; i++) expect(packets[i]!.captureTimeMs - packets[i - 1]!.captureTimeMs).toBeCloseTo(20, 6);
    expect(packets[0]!.captureTimeMs).toBeGreaterThan(started - 50);
    // Decode and find each burst's onset; map decoded sample j of packet k to capture time
    // packets[k].captureTimeMs + j/48 (what the sender report will tell the browser).
    const pcm = await decodeWithFfmpeg(packets.map((p) => p.payload), 0);
    const t0 = packets[0]!.captureTimeMs;
    const onsets: number[] = [];
    let quiet = 0;
    for (let j = 0; j < pcm.length; j++) {
      if (Math.abs(pcm[j]!) > 0.1 * 32767) {
        if (quiet > 48 * 100) onsets.push(t0 + j / 48);
        quiet = 0;
      } else quiet++;
    }
    expect(onsets.length).toBeGreaterThanOrEqual(3);
    for (const t of onsets) {
      const grid = burstStartAtOrBefore(t + HEARTBEAT.periodMs / 2);
      // The 1 ms ramp and the threshold put the detected onset ~0.1–0.5 ms after the start.
      expect(t - grid, `onset at ${t}`).toBeGreaterThan(-1);
      expect(t - grid, `onset at ${t}`).toBeLessThan(1);
    }
  });
});
