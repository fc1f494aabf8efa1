/**
 * Nothing on disk: a full session (start, two viewers — headless Chromium and a werift
 * PacketReceiver —, end) runs against the box as a child process, started like the
 * service (node --import tsx appliance/src/main.ts), with a fresh empty cwd, HOME and
 * TMPDIR. The test proves three things:
 *   1. attribution by construction: the box runs under `strace -f` (seccomp-filtered to
 *      the syscalls that create, change or remove files) and none of those calls, in the
 *      box or any child it starts (the x264 helper), touches a file outside /dev, /proc, /sys;
 *   2. before/after snapshots (names, sizes, mtimes) of the box's cwd, HOME and TMPDIR are
 *      identical, and every changed file in the repo tree (minus node_modules, .git), /tmp
 *      and /var/tmp is one the box never touched (other processes share this machine) and
 *      contains no link secret: no token, no link id derived from one, no X-Sonobox-Key
 *      value of a claim (docs/credential-scheme.md §12: all of them RAM only);
 *   3. the captured stdout/stderr carry the token only on the "Link: " line the dev
 *      terminal prints by design, and no token, link id, X-Sonobox-Key or viewer port anywhere else.
 * The tsx transform cache is disabled for the child (TSX_DISABLE_CACHE=1): it is the dev
 * runner's, not the box's (the image runs transpiled JS, see systemd/sonobox-launch).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketReceiver } from '../bench/packet-receiver.js';
import { deriveLinkSecrets } from '../appliance/src/credentials/link-keys.js';
import { launchChromium } from './support/chromium.js';
import { openViewer, waitForState } from './support/viewer-page.js';

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** Syscalls that create, modify, rename or remove a file or directory. */
const FILE_WRITES = 'open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,rmdir,truncate,mknod,mknodat';

type Snapshot = Map<string, string>;

/** path → "size mtime" for every entry under `root`, skipping `skip` (absolute paths). */
function snapshot(root: string, skip: (path: string) => boolean, into: Snapshot = new Map()): Snapshot {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return into;
  }
  for (const name of entries) {
    const path = join(root, name);
    if (skip(path)) continue;
    try {
      const st = lstatSync(path);
      into.set(path, st.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) snapshot(path, skip, into);
    } catch {
      // vanished meanwhile (another process's temporary file)
    }
  }
  return into;
}

function changes(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [path, v] of after) if (before.get(path) !== v && v !== 'dir') out.push(path);
  for (const path of before.keys()) if (!after.has(path)) out.push(path);
  return out;
}

/** Paths the traced processes created, opened for writing, renamed or removed. */
function writesIn(straceLog: string): string[] {
  const out = new Set<string>();
  for (const line of straceLog.split('\n')) {
    const m = /^(?:\d+ +)?(\w+)\((.*)\) += (-?\d+)/.exec(line);
    if (!m) continue;
    const [, call, args] = m as unknown as [string, string, string];
    const paths = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((p) => p[1]!);
    if (call.startsWith('open') || call === 'creat') {
      if (call !== 'creat' && !/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_TMPFILE/.test(args)) continue;
    }
    for (const p of paths) out.add(p);
  }
  return [...out].filter((p) => !/^\/(dev|proc|sys)(\/|$)/.test(p));
}

/** A link's token and the link id the box derives from it (public, but the box keeps it in RAM only). */
function secretsOfLink(link: string): string[] {
  const token = tokenOf(link);
  return [token, deriveLinkSecrets(token)!.linkId];
}

function tokenOf(link: string): string {
  const fragment = new URL(link).hash.slice(1);
  return new URLSearchParams(fragment).get('t') ?? fragment;
}

describe('nothing on disk: a full session leaves no file and no secret in the logs', () => {
  const dirs: string[] = [];
  let child: ChildProcessWithoutNullStreams | undefined;
  /** The box under strace; killed by pid too, as a SIGKILLed strace leaves its tracee running. */
  let boxPid = 0;
  let browser: Browser | undefined;
  afterAll(async () => {
    if (boxPid > 0 && child) process.kill(boxPid, 'SIGKILL');
    child?.kill('SIGKILL');
    await browser?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('control: the trace filter catches a process that writes, renames and removes a file', () => {
    const d = mkdtempSync(join(tmpdir(), 'sonobox-nod-control-'));
    dirs.push(d);
    const log = join(d, 'strace.log');
    const f = join(d, 'written');
    const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-e', `trace=${FILE_WRITES}`, '-o', log, 'sh', '-c', `echo x > ${f}; mv ${f} ${f}2; rm ${f}2; cat /etc/hostname >/dev/null`]);
    expect(r.status).toBe(0);
    const writes = writesIn(readFileSync(log, 'utf8'));
    expect(writes).toContain(f);
    expect(writes).toContain(`${f}2`);
    expect(writes).not.toContain('/etc/hostname');
  });

  it('start, Chromium and PacketReceiver viewers, end: no file written by the box, no secret logged', async () => {
    const fresh = (what: string): string => {
      const d = mkdtempSync(join(tmpdir(), `sonobox-nod-${what}-`));
      dirs.push(d);
      return d;
    };
    const box = { cwd: fresh('cwd'), home: fresh('home'), tmp: fresh('tmp') };
    const own = fresh('test'); // the strace log and Chromium's profile: the test's, not the box's
    const ownDirs = [own, ...dirs.filter((d) => d !== own)];

    // Chromium first, its temporary profile inside the test's own directory.
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      browser = await launchChromium();
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }

    const skip = (p: string): boolean => ownDirs.some((d) => p === d || p.startsWith(`${d}/`)) || /\/(node_modules|\.git)$/.test(p) || p.startsWith('/tmp/bash_jobs.');
    const watched = [repo, '/tmp', '/var/tmp', process.env.HOME ?? '/root'];
    const takeSnapshot = (): Snapshot => {
      const s: Snapshot = new Map();
      for (const root of watched) snapshot(root, skip, s);
      for (const d of [box.cwd, box.home, box.tmp]) snapshot(d, () => false, s);
      return s;
    };
    const t = performance.now();
    const step = (what: string): void => console.log(`[${((performance.now() - t) / 1000).toFixed(1)} s] ${what}`);
    const before = takeSnapshot();
    step(`snapshot before: ${before.size} paths`);

    const straceLog = join(own, 'strace.log');
    child = spawn(
      'strace',
      ['-f', '-qq', '--seccomp-bpf', '-e', `trace=${FILE_WRITES}`, '-o', straceLog,
        process.execPath, '--import', tsxLoader, join(repo, 'appliance/src/main.ts'),
        '--max-viewers', '2', '--ice-host', '127.0.0.1', '--port', '0', '--host', '127.0.0.1',
        '--source', 'test-pattern', '--size', '320x240', '--fps', '15', '--encoder', 'software', '--display', 'png', '--button', 'terminal'],
      { cwd: box.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: box.home, TMPDIR: box.tmp, TSX_DISABLE_CACHE: '1', SONOBOX_LOG_LEVEL: 'debug' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const started = Date.now();
    while (!/^Listening on port \d+$/m.test(stdout) || !/^Link: \S+$/m.test(stdout)) {
      if (Date.now() - started > 30_000) throw new Error(`box did not start within 30 s:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const base = `http://127.0.0.1:${/^Listening on port (\d+)$/m.exec(stdout)![1]}`;
    boxPid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
    expect(boxPid).toBeGreaterThan(0);
    step('box started');
    const link1 = /^Link: (\S+)$/m.exec(stdout)![1]!;
    const secrets: string[] = secretsOfLink(link1);
    const viewerPorts: string[] = [];

    // Viewer 1: Chromium through the printed link.
    const page = await openViewer(browser, link1);
    page.on('request', (req) => {
      if (req.url().endsWith('/whep') && req.method() === 'POST') {
        for (const m of (req.postData() ?? '').matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ/gm)) viewerPorts.push(m[1]!);
      }
    });
    page.on('response', (res) => {
      const boxKey = res.headers()['x-sonobox-key']; // the box's X25519 key of the claim
      if (boxKey) secrets.push(boxKey);
    });
    await waitForState(page, 'live', 30_000);
    step('Chromium live');

    // Viewer 2: a second link from the box API, for a werift PacketReceiver.
    const issued = (await (await fetch(new URL('/api/session', base), { method: 'POST' })).json()) as { link: string };
    secrets.push(...secretsOfLink(issued.link));
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      for (const m of body.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ/gm)) viewerPorts.push(m[1]!);
      const res = await realFetch(input, init);
      const boxKey = res.headers.get('x-sonobox-key');
      if (boxKey) secrets.push(boxKey);
      return res;
    }) as typeof fetch;
    const receiver = new PacketReceiver(base);
    try {
      await receiver.connect(tokenOf(issued.link));
    } finally {
      globalThis.fetch = realFetch;
    }
    const t0 = Date.now();
    while (receiver.frames < 10 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(receiver.frames).toBeGreaterThanOrEqual(10);
    step('PacketReceiver receiving');

    // End the session from the box, then stop the box.
    expect((await fetch(new URL('/api/session', base), { method: 'DELETE' })).status).toBe(200);
    await waitForState(page, 'ended', 10_000);
    await receiver.close();
    // SIGTERM to the box itself (strace, its parent, exits when it does), as systemd would.
    process.kill(boxPid, 'SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
    step('box stopped');
    const after = takeSnapshot();
    step('snapshot after');

    // 1. Nothing the box ran touched a file.
    const trace = readFileSync(straceLog, 'utf8');
    // strace did follow the box: it saw the box open its own entry point (for reading).
    expect(trace).toContain('appliance/src/main.ts');
    const boxWrites = writesIn(trace);
    expect(boxWrites, 'files the box created, wrote, renamed or removed').toEqual([]);

    // 2. Private dirs untouched; shared changes are not the box's and hold no secret.
    for (const d of [box.cwd, box.home, box.tmp]) expect(readdirSync(d), `${d} stays empty`).toEqual([]);
    const changed = changes(before, after);
    const bySomeoneElse = changed.filter((p) => !boxWrites.includes(p));
    expect(bySomeoneElse).toEqual(changed);
    for (const p of changed) {
      try {
        const st = lstatSync(p);
        if (!st.isFile() || st.size > 4 * 2 ** 20) continue;
        const text = readFileSync(p, 'latin1');
        for (const s of secrets) expect(text.includes(s), `${p} contains a secret`).toBe(false);
      } catch {
        // removed meanwhile
      }
    }
    console.log(`nothing on disk: ${before.size} paths watched; ${changed.length} changed meanwhile by other processes on this shared machine, none by the box; box file writes traced: ${boxWrites.length}`);

    // 3. Logs: the token only on the Link: line; no link id, box key or viewer port anywhere.
    expect(secrets.length).toBeGreaterThanOrEqual(6); // two tokens, their link ids, the two claims' box keys
    expect(viewerPorts.length).toBeGreaterThanOrEqual(2);
    const otherLines = `${stdout}\n${stderr}`.split('\n').filter((l) => !l.startsWith('Link: '));
    const logText = otherLines.join('\n');
    expect(otherLines.some((l) => l.startsWith('{'))).toBe(true); // JSON log lines were captured
    for (const s of secrets) expect(logText.includes(s), 'a token, link id or box key in the logs').toBe(false);
    for (const port of viewerPorts) expect(new RegExp(`\\b${port}\\b`).test(logText), `viewer port ${port} in the logs`).toBe(false);
    const linkLines = stdout.split('\n').filter((l) => l.startsWith('Link: '));
    expect(linkLines).toHaveLength(1); // the API-issued link is answered, not printed
  }, 120_000);
});
