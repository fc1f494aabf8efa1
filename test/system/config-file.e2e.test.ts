/**
 * The settings file as the appliance uses it: the real process started with
 * SONOBOX_CONFIG pointing at a sonobox.toml with mistakes. The box must start anyway, log
 * each problem and unknown key, show the first problem on the cart display (compared pixel
 * for pixel with the rendered 'config' error screen), and apply the good keys, with
 * command-line flags still on top.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pngToCanvas } from '../../appliance/src/cart/png-display.js';
import { renderScreen } from '../../appliance/src/cart/screens.js';

const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sonobox-config-e2e-'));
let proc: ChildProcessWithoutNullStreams | undefined;
afterAll(() => {
  proc?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a sonobox.toml with mistakes', () => {
  it('the box starts, logs every problem, shows the first on the cart display, and applies the rest', async () => {
    const file = join(dir, 'sonobox.toml');
    // French applies; the button key is wrong (default kept); a section name is misspelt;
    // max_viewers = 3 applies but --max-viewers 2 on the command line wins.
    writeFileSync(file, 'language = "fr"\n[button]\nkey = "KEY_ENTRE"\n[sesion]\nlink_ttl_s = 60\n[session]\nmax_viewers = 3\n');
    proc = spawn(process.execPath, ['--import', 'tsx', 'appliance/src/main.ts', '--port', '0', '--host', '127.0.0.1', '--source', 'test-pattern',
      '--encoder', 'software', '--display', 'png', '--button', 'terminal', '--no-session', '--max-viewers', '2'], {
      cwd: repo,
      env: { ...process.env, SONOBOX_CONFIG: file, SONOBOX_LOG_LEVEL: 'info' },
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Listening on port" within 20 s:\n${out}`)), 20_000);
      const check = (): void => {
        const m = /^Listening on port (\d+)$/m.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      };
      proc!.stdout.on('data', check);
      proc!.on('exit', (code) => reject(new Error(`box exited with ${code}:\n${out}`)));
    });
    const problem = 'button.key must be an evdev key name such as "KEY_ENTER", "KEY_SPACE", "KEY_PROG1", "KEY_F13", "BTN_0", or a key number from 1 to 767 (got "KEY_ENTRE"); using the default.';
    // Log lines may arrive on stderr after stdout's "Listening" line.
    for (let i = 0; i < 50 && !out.includes('Settings: button.key'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`Settings: ${problem}`.replace(/"/g, '\\"'));
    expect(out).toMatch(/Settings: sonobox\.toml: unknown section \[sesion\] ignored/);

    // The cart screen (kept in memory, served to the box itself) is the French 'config' error.
    const res = await fetch(`http://127.0.0.1:${port}/api/cart.png`);
    expect(res.status).toBe(200);
    const shown = pngToCanvas(Buffer.from(await res.arrayBuffer()));
    const want = renderScreen({ screen: 'error', problem: 'config', sessionActive: false, detail: problem }, { width: shown.width, height: shown.height }, 'fr');
    expect(Buffer.compare(Buffer.from(shown.data), Buffer.from(want.data))).toBe(0);

    // max_viewers: the flag (2) over the file (3): two links out at once, no more.
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${port}/api/session`, { method: 'POST' })).status).toBe(201);
    const { session } = (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as { session: { maxViewers: number; linksOutstanding: number } };
    // The third link replaced the two unused ones (every place was held, none by a device).
    expect(session).toMatchObject({ maxViewers: 2, linksOutstanding: 1 });
  }, 40_000);
});
