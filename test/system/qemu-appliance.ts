/**
 * Boots a built sonobox disk image in QEMU (TCG: /dev/kvm here hangs a stock kernel) the way
 * a Pi's firmware does: kernel, initrd and cmdline.txt are read from the image's FAT boot
 * partition (per board: qemu-machines.ts). Two serial ports: the first is the console
 * (kernel, systemd, the service's stdout with the one-time link), the second carries
 * systemd's own debug shell (`systemd.debug_shell=` on the kernel command line,
 * systemd-debug-generator(8)) through which the test runs commands as root. Nothing in the
 * image itself opens a shell.
 *
 * Networking: user-mode, one TCP forward 127.0.0.1:<port> -> guest:8080, and UDP forwards
 * for a fixed ICE port range. The guest must reach nothing but the forwards. Without a
 * namespace that is restrict=on; but libslirp's restrict=on drops every UDP datagram the
 * guest sends, replies to UDP forwards included (slirp udp.c udp_input: `if
 * (slirp->restricted) goto bad` before the socket lookup), so WebRTC media cannot flow. With
 * `netns` QEMU runs inside a network namespace the caller made, which holds only a
 * loopback: restrict is off, and the guest still reaches nothing but the forwards (and
 * whatever else listens on that namespace's loopback: the test's Chromium).
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcMachine, type Machine } from './qemu-machines.js';

export interface BootOptions {
  image: string;
  hostHttpPort: number;
  /** Guest UDP ports forwarded 1:1 from 127.0.0.1 (WebRTC media). */
  udpPorts?: readonly number[];
  /** The board (default: the amd64 PC of the system test). */
  machine?: Machine;
  /** Appended to the image's cmdline.txt (e.g. systemd.setenv=SONOBOX_ARGS=...). */
  extraCmdline?: string;
  /** Run QEMU in this network namespace (see createNetns), without restrict=on. */
  netns?: string;
  /** Also append the console, as it comes, to this file (to follow a long boot). */
  consoleLog?: string;
}

/** Throws, naming the first missing tool and `fix`, unless every tool is on the PATH. */
export function requireTools(tools: readonly string[], fix: string): void {
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: ${fix}`);
  }
}

/** Creates an empty network namespace with only its loopback up. */
export function createNetns(name: string): void {
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
}

/** argv prefix that runs a command inside `netns`. */
export const inNetns = (netns: string, argv: readonly string[]): string[] => ['ip', 'netns', 'exec', netns, ...argv];

export class QemuAppliance {
  readonly console: string[] = [];
  private consoleTail = '';
  private readonly listeners = new Set<() => void>();
  private shell: Socket | undefined;
  private shellBuffer = '';
  private commandSeq = 0;
  exited: Promise<number | null>;
  readonly startedAt = performance.now();

  private constructor(
    private readonly qemu: ChildProcess,
    private readonly dir: string,
    private readonly shellPath: string,
    private readonly consoleLog?: string,
  ) {
    qemu.stdout!.setEncoding('utf8').on('data', (d: string) => this.onConsole(d));
    qemu.stderr!.setEncoding('utf8').on('data', (d: string) => this.onConsole(d));
    this.exited = new Promise((resolve) => qemu.on('exit', (code) => resolve(code)));
  }

  static boot(o: BootOptions): QemuAppliance {
    const dir = mkdtempSync(join(tmpdir(), 'sonobox-qemu-'));
    const machine = o.machine ?? pcMachine();
    const board = machine.prepare(o.image, dir);
    const cmdline = `${board.cmdline} systemd.debug_shell=${machine.shellTty}${o.extraCmdline ? ` ${o.extraCmdline}` : ''}`;
    const shellPath = join(dir, 'shell.sock');
    const fwd = [`hostfwd=tcp:127.0.0.1:${o.hostHttpPort}-:8080`, ...(o.udpPorts ?? []).map((p) => `hostfwd=udp:127.0.0.1:${p}-:${p}`)];
    const args = [
      ...board.args, '-append', cmdline,
      '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-netdev', `user,id=n0,restrict=${o.netns ? 'off' : 'on'},${fwd.join(',')}`, ...machine.nic,
      '-serial', 'stdio',
      '-chardev', `socket,id=dbg,path=${shellPath},server=on,wait=off`, '-serial', 'chardev:dbg',
    ];
    // `ip netns exec` execs QEMU in place (same PID), so kill() still reaches QEMU.
    const [cmd, ...argv] = o.netns ? inNetns(o.netns, [machine.qemu, ...args]) : [machine.qemu, ...args];
    const qemu = spawn(cmd!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new QemuAppliance(qemu, dir, shellPath, o.consoleLog);
  }

  private onConsole(d: string): void {
    if (this.consoleLog) appendFileSync(this.consoleLog, d);
    const text = this.consoleTail + d;
    const lines = text.split(/\r?\n/);
    this.consoleTail = lines.pop() ?? '';
    this.console.push(...lines);
    for (const l of this.listeners) l();
  }

  /** Resolves with the first console line matching `re`, or rejects after `timeoutMs`. */
  waitForConsole(re: RegExp, timeoutMs: number, from = 0): Promise<{ line: string; index: number; atMs: number }> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.console.length; i++) {
          if (re.test(this.console[i]!)) {
            this.listeners.delete(listener);
            clearTimeout(timer);
            resolve({ line: this.console[i]!, index: i, atMs: performance.now() - this.startedAt });
            return true;
          }
        }
        return false;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no console line matching ${re} within ${timeoutMs} ms; last lines:\n${this.console.slice(-15).join('\n')}`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  private async openShell(timeoutMs: number): Promise<Socket> {
    if (this.shell) return this.shell;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const s = await new Promise<Socket>((resolve, reject) => {
          const c = connect(this.shellPath, () => resolve(c));
          c.once('error', reject);
        });
        s.setEncoding('utf8').on('data', (d: string) => {
          this.shellBuffer += d;
          for (const l of this.listeners) l();
        });
        this.shell = s;
        return s;
      } catch (e) {
        if (performance.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * Runs a shell command as root in the guest and returns its output and exit status.
   * Output is framed by markers so console noise on the debug tty cannot be mistaken for it.
   */
  async run(command: string, timeoutMs = 60_000): Promise<{ out: string; status: number }> {
    const shell = await this.openShell(timeoutMs);
    const n = ++this.commandSeq;
    const begin = `__SBX_BEGIN_${n}__`;
    const endRe = new RegExp(`__SBX_END_${n}__ (\\d+)`);
    // printf builds the markers so the echoed command line itself never matches them.
    shell.write(`stty -echo 2>/dev/null; printf '__SBX_%s_${n}__\\n' BEGIN; ( ${command} ) 2>&1; printf '__SBX_%s_${n}__ %d\\n' END $?\n`);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const b = this.shellBuffer.indexOf(begin);
        const m = endRe.exec(this.shellBuffer);
        if (b < 0 || !m) return;
        const out = this.shellBuffer.slice(b + begin.length, m.index).replace(/\r/g, '').trim();
        this.shellBuffer = this.shellBuffer.slice(m.index + m[0].length);
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve({ out, status: Number(m[1]) });
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`guest command timed out after ${timeoutMs} ms: ${command}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Types a line into the debug shell without waiting for an answer (for commands that end the guest). */
  async send(line: string): Promise<void> {
    (await this.openShell(10_000)).write(line);
  }

  /** Polls `command` until it exits 0 (returns its output) or the time is up. */
  async until(command: string, timeoutMs: number, everyMs = 2_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    let last = { out: '', status: -1 };
    while (performance.now() < deadline) {
      last = await this.run(command, Math.max(5_000, deadline - performance.now()));
      if (last.status === 0) return last.out;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`"${command}" still failing after ${timeoutMs} ms: ${last.out}`);
  }

  /** Asks the guest to power off cleanly; kills QEMU if it has not exited in time. */
  async shutdown(timeoutMs = 90_000): Promise<void> {
    if (this.qemu.exitCode === null) {
      this.shell?.write('systemctl poweroff\n');
      const t = setTimeout(() => this.qemu.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(t);
    }
    this.shell?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  kill(): void {
    if (this.qemu.exitCode === null) this.qemu.kill('SIGKILL');
    this.shell?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
