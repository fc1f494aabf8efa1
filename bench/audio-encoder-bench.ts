/**
 * npm run bench:audio — which Opus encoder the box runs, by measurement (issue 12):
 * appliance/native/opus-pipe (libopus behind a framed pipe) against ffmpeg's libopus
 * wrapper as a child (raw PCM on stdin, RTP on a loopback UDP socket: a packet leaves the
 * moment it is encoded). Both get the same 48 kHz mono PCM — a Doppler-like signal (noise
 * band-passed by a resonator, pulsing at 2 Hz) — paced in real time, 20 ms per write, with
 * the same settings (96 kbit/s VBR, APPLICATION_AUDIO, 20 ms, FEC on, 10 % expected loss,
 * no DTX).
 *
 * Reported per encoder: added latency (write of a frame's last sample → its packet back
 * in this process, median and p95), CPU of the child in % of one core (utime+stime from
 * /proc over the run), its peak RSS (VmHWM) and the mean bitrate.
 *
 * Usage: npm run bench:audio -- [--seconds S]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { AUDIO_FRAME_MS, AUDIO_FRAME_SAMPLES } from '../appliance/src/audio/audio-frame.js';
import { opusPipePath } from '../appliance/src/audio/opus-pipe-process.js';
import { PacketReader, pcmFrameMessage } from '../appliance/src/audio/opus-pipe-protocol.js';
import { captureClockMs } from '../appliance/src/media/raw-frame.js';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 20) || 20;
const frames = Math.round((seconds * 1000) / AUDIO_FRAME_MS);

/** Frame k of the test signal: resonant noise (~600 Hz) gated by a 2 Hz pulse, S16LE mono. */
function signal(): Buffer[] {
  let y1 = 0;
  let y2 = 0;
  let seed = 1;
  const r = 0.995;
  const w = (2 * Math.PI * 600) / 48_000;
  const out: Buffer[] = [];
  for (let k = 0; k < frames; k++) {
    const b = Buffer.alloc(AUDIO_FRAME_SAMPLES * 2);
    for (let i = 0; i < AUDIO_FRAME_SAMPLES; i++) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      const noise = seed / 2 ** 31 - 1;
      const y = noise + 2 * r * Math.cos(w) * y1 - r * r * y2;
      y2 = y1;
      y1 = y;
      const t = (k * AUDIO_FRAME_SAMPLES + i) / 48_000;
      const gate = (t % 0.5) < 0.15 ? 1 : 0.05;
      b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(y * 120 * gate))), i * 2);
    }
    out.push(b);
  }
  return out;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15), clock ticks (100 Hz)
}
const vmHwmMb = (pid: number): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

interface Result { name: string; medianMs: number; p95Ms: number; cpuPct: number; rssMb: number; kbps: number; packets: number }

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/** Writes frames in real time through `write`; `arrivals` fills as packets come back. */
async function drive(name: string, child: ChildProcess, write: (k: number, pcm: Buffer) => void, arrivals: { t: number; bytes: number }[], pcm: Buffer[]): Promise<Result> {
  const written: number[] = [];
  const start = performance.now() + 200;
  const ticks0 = cpuTicks(child.pid!);
  for (let k = 0; k < pcm.length; k++) {
    const due = start + k * AUDIO_FRAME_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    written[k] = captureClockMs();
    write(k, pcm[k]!);
  }
  await new Promise((r) => setTimeout(r, 500));
  const cpuPct = ((cpuTicks(child.pid!) - ticks0) / 100 / (pcm.length * AUDIO_FRAME_MS / 1000)) * 100;
  const rssMb = vmHwmMb(child.pid!);
  // ffmpeg may hold its first packets (encoder priming); match packets to frames from the end.
  const n = Math.min(arrivals.length, written.length);
  const lat: number[] = [];
  for (let i = 1; i <= n; i++) lat.push(arrivals[arrivals.length - i]!.t - written[written.length - i]!);
  const bytes = arrivals.reduce((s, a) => s + a.bytes, 0);
  child.stdin?.end();
  child.kill('SIGKILL');
  return { name, medianMs: pct(lat, 0.5), p95Ms: pct(lat, 0.95), cpuPct, rssMb, kbps: (bytes * 8) / (arrivals.length * AUDIO_FRAME_MS), packets: arrivals.length };
}

async function opusPipe(pcm: Buffer[]): Promise<Result> {
  const child = spawn(opusPipePath, ['--stdin', '--bitrate', '96000', '--fec', '1', '--loss-percent', '10'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const reader = new PacketReader();
  const arrivals: { t: number; bytes: number }[] = [];
  child.stdout.on('data', (c: Buffer) => {
    const t = captureClockMs();
    for (const p of reader.push(c)) arrivals.push({ t, bytes: p.payload.length });
  });
  return drive('opus-pipe (libopus 1.3.1, this repo)', child, (k, data) => {
    for (const b of pcmFrameMessage({ channels: 1, data, captureTimeMs: 0, seq: k, discontinuity: k === 0 })) child.stdin.write(b);
  }, arrivals, pcm);
}

async function ffmpegLibopus(pcm: Buffer[]): Promise<Result> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const arrivals: { t: number; bytes: number }[] = [];
  sock.on('message', (m) => arrivals.push({ t: captureClockMs(), bytes: m.length - 12 }));
  const child = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0',
    '-f', 's16le', '-ar', '48000', '-ac', '1', '-i', 'pipe:0',
    '-c:a', 'libopus', '-b:a', '96k', '-vbr', 'on', '-application', 'audio', '-frame_duration', '20', '-fec:a', '1', '-packet_loss', '10', '-dtx', '0',
    '-flush_packets', '1', '-f', 'rtp', `rtp://127.0.0.1:${port}`,
  ], { stdio: ['pipe', 'ignore', 'ignore'] });
  const r = await drive('ffmpeg 5.1 -c:a libopus -f rtp (child)', child, (_k, data) => child.stdin!.write(data), arrivals, pcm);
  sock.close();
  return r;
}

const pcm = signal();
const results = [await opusPipe(pcm), await ffmpegLibopus(pcm), await opusPipe(pcm), await ffmpegLibopus(pcm)];
console.log(`\n${seconds} s of 48 kHz mono each, paced 20 ms; ${new Date().toISOString()}\n`);
console.log('| encoder | added latency median | p95 | CPU (1 core = 100 %) | peak RSS | bitrate | packets |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.medianMs.toFixed(2)} ms | ${r.p95Ms.toFixed(2)} ms | ${r.cpuPct.toFixed(2)} % | ${r.rssMb.toFixed(1)} MB | ${r.kbps.toFixed(1)} kbit/s | ${r.packets} |`);
}
process.exit(0);
