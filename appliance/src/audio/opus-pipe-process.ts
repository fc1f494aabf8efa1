/**
 * One run of appliance/native/opus-pipe: spawn it, stream its packets, say how it ended.
 * The restart policy belongs to the caller (alsa-audio-source.ts re-finds the card before
 * each attempt; pcm-opus-encoder.ts just restarts), with encode/encoder-supervisor.ts's
 * back-off. Nothing the helper prints is ever audio or a patient detail: its stderr is
 * "info:" lines (device, settings) and one error line.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../system/child-process.js';
import { PacketReader, type FramedPacket } from './opus-pipe-protocol.js';

/** Where `npm run build:native` puts the helper, resolved from this file, not the cwd. */
export const opusPipePath: string = fileURLToPath(new URL('../../native/opus-pipe', import.meta.url));

/** Encoder settings (issue 12: 48 kHz, 20 ms, application audio, no DTX, FEC on, ~96 kbit/s). */
export interface OpusSettings {
  /** Target bitrate, bit/s; default 96000. */
  readonly bitrateBps?: number;
  /** libopus complexity 0..10; default 10 (2.6 % of a core on the CI-class host, npm run bench:audio). */
  readonly complexity?: number;
  /** In-band FEC; default true. */
  readonly fec?: boolean;
  /** Expected packet loss the encoder plans for, %; default 10. */
  readonly lossPercent?: number;
}

/** How a run ended, from opus-pipe's exit status (its header comment). */
export const HelperEnd = {
  ended: 'ended',
  noDevice: 'no-device',
  busy: 'busy',
  lost: 'lost',
  stalled: 'stalled',
  format: 'format',
  failed: 'failed',
} as const;
export type HelperEnd = (typeof HelperEnd)[keyof typeof HelperEnd];

/** Pure: opus-pipe's exit status (or the signal that killed it) → how the run ended. */
export function helperEnd(code: number | null, signal: string | null): HelperEnd {
  if (signal) return HelperEnd.failed;
  switch (code) {
    case 0: return HelperEnd.ended;
    case 3: return HelperEnd.noDevice;
    case 4: return HelperEnd.busy;
    case 5: return HelperEnd.lost;
    case 6: return HelperEnd.stalled;
    case 7: return HelperEnd.format;
    default: return HelperEnd.failed;
  }
}

/** The helper's arguments for a mode and settings. */
export function opusPipeArgs(mode: { alsa: string } | 'stdin', s: OpusSettings = {}, stallMs?: number): string[] {
  return [
    ...(mode === 'stdin' ? ['--stdin'] : ['--alsa', mode.alsa]),
    '--bitrate', String(s.bitrateBps ?? 96_000),
    '--complexity', String(s.complexity ?? 10),
    '--fec', s.fec === false ? '0' : '1',
    '--loss-percent', String(s.lossPercent ?? 10),
    ...(stallMs !== undefined ? ['--stall-ms', String(Math.round(stallMs))] : []),
  ];
}

export interface HelperRunHandlers {
  onPacket(p: FramedPacket): void;
  /** An "info:" line (without the prefix). */
  onInfo?(line: string): void;
  /** Once, when the run is over: how, the helper's last error line, how long it ran. */
  onExit(end: HelperEnd, why: string, upMs: number): void;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** A running helper; stop() ends it without an onExit call. */
export class HelperRun {
  private child: Child | undefined;
  private readonly startedAt = Date.now();

  constructor(args: readonly string[], private readonly h: HelperRunHandlers, helperPath = opusPipePath) {
    if (!existsSync(helperPath)) {
      throw new Error(`Opus helper not found at ${helperPath}: run \`npm run build:native\` (needs libopus-dev, libasound2-dev, pkg-config, gcc, make)`);
    }
    const child = spawn(helperPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const reader = new PacketReader();
    let lastError = '';
    let pending = '';
    child.stdin.on('error', () => {}); // EPIPE when it dies; 'exit' says why
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/^opus-pipe: /, '').trim();
        if (!line) continue;
        if (line.startsWith('info: ')) h.onInfo?.(line.slice(6));
        else lastError = line.slice(0, 300);
      }
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      try {
        for (const p of reader.push(chunk)) h.onPacket(p);
      } catch (e) {
        lastError = (e as Error).message;
        child.kill('SIGKILL');
      }
    });
    child.on('error', (e) => {
      lastError = e.message;
    });
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const end = helperEnd(code, signal);
      h.onExit(end, lastError || (signal ? `killed by ${signal}` : `exited with status ${code}`), Date.now() - this.startedAt);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Writes buffers to the helper's stdin, corked as one write. */
  write(buffers: readonly Buffer[]): void {
    const c = this.child;
    if (!c) return;
    c.stdin.cork();
    for (const b of buffers) c.stdin.write(b);
    c.stdin.uncork();
  }

  /** Ends the helper (stdin closed, then SIGTERM, SIGKILL after 2 s); no onExit. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c) await stopChild(c, 2_000);
  }
}
