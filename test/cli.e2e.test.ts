/**
 * The stable command-line interface (`npm start -- …`), run as the real process:
 * "Link: " and "Listening on port N" lines, `--source -` (raw I420 on stdin),
 * `--source <file>` (looped), --help and a clear error for a bad flag.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LINK_PATTERN } from './support/link.js';

const main = ['--import', 'tsx', 'appliance/src/main.ts'];
const common = ['--port', '0', '--host', '127.0.0.1', '--ice-host', '127.0.0.1', '--encoder', 'software', '--display', 'png', '--button', 'terminal'];

interface Box {
  proc: ChildProcessWithoutNullStreams;
  base: string;
  link: string;
}

let running: Box | undefined;
afterEach(() => {
  running?.proc.kill('SIGKILL');
  running = undefined;
});

async function startBox(args: string[], env: Record<string, string> = {}): Promise<Box> {
  const proc = spawn(process.execPath, [...main, ...common, ...args], { env: { ...process.env, SONOBOX_LOG_LEVEL: 'warn', ...env } });
  let out = '';
  const box = await new Promise<Box>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`box did not print its link within 20 s; stdout so far:\n${out}`)), 20_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /^Listening on port (\d+)$/m.exec(out)?.[1];
      const link = /^Link: (\S+)$/m.exec(out)?.[1];
      if (port && link) {
        clearTimeout(timer);
        resolve({ proc, base: `http://127.0.0.1:${port}`, link });
      }
    });
    proc.on('exit', (code) => reject(new Error(`box exited with ${code}`)));
  });
  running = box;
  return box;
}

interface Status {
  source: { kind: string; condition: string };
  stream: { accessUnitsOut: number };
}

async function status(base: string): Promise<Status> {
  return (await (await fetch(new URL('/api/status', base))).json()) as Status;
}

async function until(base: string, check: (s: Status) => boolean, timeoutMs = 15_000): Promise<Status> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(base);
    if (check(s)) return s;
    if (Date.now() > end) throw new Error(`status never matched: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start command line', () => {
  it('prints a one-time link on a "Link: " line with a 256-bit token and the DTLS fingerprint in the fragment', async () => {
    const box = await startBox(['--source', 'test-pattern']);
    expect(box.link).toMatch(LINK_PATTERN);
    const s = await until(box.base, (x) => x.stream.accessUnitsOut > 10);
    expect(s.source.kind).toBe('test-pattern');
  });

  it('--source - encodes raw I420 frames from stdin, then says no-signal at end of input', async () => {
    const box = await startBox(['--source', '-', '--size', '320x240', '--fps', '10']);
    const frame = Buffer.alloc(320 * 240 * 1.5, 128);
    const before = (await status(box.base)).stream.accessUnitsOut;
    // Frames are written in odd-sized chunks so the splitter has to reassemble them.
    for (let i = 0; i < 10; i++) {
      box.proc.stdin.write(frame.subarray(0, 1000));
      box.proc.stdin.write(frame.subarray(1000));
      await new Promise((r) => setTimeout(r, 100));
    }
    const live = await until(box.base, (x) => x.source.kind === 'stdin' && x.stream.accessUnitsOut >= before + 5);
    expect(live.source.condition).toBe('live');
    box.proc.stdin.end();
    await until(box.base, (x) => x.source.condition === 'no-signal');
  });

  it('--source <file> loops a video file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonobox-cli-'));
    const clip = join(dir, 'clip.mp4');
    try {
      execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=1', '-pix_fmt', 'yuv420p', clip]);
      const box = await startBox(['--source', clip, '--size', '320x240', '--fps', '10']);
      // 1 s of video at 10 fps: more than 25 access units proves it looped.
      const s = await until(box.base, (x) => x.stream.accessUnitsOut > 25, 20_000);
      expect(s.source.kind).toBe('file');
      expect(s.source.condition).toBe('live');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help prints the usage; an unknown flag exits 2 with a clear message', () => {
    const help = spawnSync(process.execPath, [...main, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--source <auto|capture|test-pattern|-|FILE|/dev/videoN>');
    expect(help.stdout).toMatch(/--max-viewers N +devices that may watch one session at once, one link each \(default 1; 1–16\)/);
    const bad = spawnSync(process.execPath, [...main, '--frobnicate'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown option "--frobnicate"; see --help');
  });
});

describe('privacy settings never fall back to weaker ones (the real process)', () => {
  /** The mask the box really runs with, as its loopback-only set-up picture names it. */
  async function maskInUse(base: string): Promise<{ preset: string | null; set: string | null }> {
    const end = Date.now() + 15_000;
    for (;;) {
      const res = await fetch(new URL('/api/mask-preview.png', base));
      if (res.status === 200) return { preset: res.headers.get('x-mask-preset'), set: res.headers.get('x-mask-set') };
      if (Date.now() > end) throw new Error(`mask preview never answered 200 (last ${res.status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('a box given no mask setting masks the top banner (generic-top-banner), at 1280x720', async () => {
    const box = await startBox(['--source', 'test-pattern']);
    expect(await maskInUse(box.base)).toEqual({ preset: 'generic-top-banner', set: '1280x720' });
  });

  it('a settings file on a boot partition that is not mounted withholds every frame, even with "none" asked for nowhere', async () => {
    const boot = mkdtempSync(join(tmpdir(), 'sonobox-boot-'));
    try {
      writeFileSync(join(boot, 'sonobox-boot-partition-not-mounted'), '');
      const box = await startBox(['--source', 'test-pattern'], { SONOBOX_CONFIG: join(boot, 'sonobox.toml') });
      const mask = await maskInUse(box.base);
      expect(mask.preset).toBe('withhold-all');
      expect(mask.set).toMatch(/withheld: the slate is sent/);
    } finally {
      rmSync(boot, { recursive: true, force: true });
    }
  });
});
