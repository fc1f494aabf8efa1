/**
 * The box hotspot: for each session a WPA2 access point with a fresh passphrase, run as
 * two supervised children, hostapd (the AP) and dnsmasq (DHCP, 10.42.0.0/24), on an
 * interface the box addresses itself (10.42.0.1). We drive hostapd/dnsmasq directly
 * rather than NetworkManager: the appliance image has no NetworkManager, and two
 * generated files are easier to review and test (`hostapd -t`, `dnsmasq --test`) than
 * an nmcli profile, which NetworkManager would store on disk with the PSK in it.
 *
 * Secrets at rest: the two files are written with mode 0600 into `<runtimeDir>/hotspot`
 * (mode 0700), which must be a RAM filesystem (systemd's RuntimeDirectory= under /run is
 * tmpfs): the passphrase never reaches a block device. They are deleted as soon as both
 * children have read them (rewritten from memory if a child must be restarted), and the
 * directory is removed when the session closes. Nothing here logs the passphrase, a
 * station's MAC address or a child's raw output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild } from '../system/child-process.js';
import { dnsmasqConfig, HOTSPOT_GATEWAY, HOTSPOT_PREFIX } from './dnsmasq-config.js';
import { parseHostapdLine } from './hostapd-events.js';
import { hostapdConfig, validateHotspotSettings, type HotspotSettings } from './hostapd-config.js';
import { generatePassphrase } from './wifi-passphrase.js';
import { wifiQrString } from './wifi-qr.js';
import type { Logger } from '../system/logger.js';

/** statfs f_type of filesystems that live only in RAM (linux/magic.h). */
const RAM_FS = new Set([0x01021994 /* TMPFS_MAGIC */, 0x858458f6 /* RAMFS_MAGIC */]);

export interface HotspotOptions {
  readonly settings: HotspotSettings;
  /** RAM-only directory ($RUNTIME_DIRECTORY, /run/sonobox); checked to be tmpfs/ramfs. */
  readonly runtimeDir: string;
  readonly maxStations: number;
  /** Programs; tests pass stand-ins. Defaults: hostapd, dnsmasq, ip from PATH. */
  readonly commands?: { readonly hostapd?: string; readonly dnsmasq?: string; readonly ip?: string };
  /** How long hostapd may take to report AP-ENABLED before the start counts as failed. */
  readonly enableTimeoutMs?: number;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

/** What the cart shows for a session: the QR payload carries the passphrase. */
export interface HotspotSession {
  readonly ssid: string;
  readonly passphrase: string;
  /** `WIFI:T:WPA;S:…;P:…;;` for the cart's first QR code. */
  readonly wifiQr: string;
  /** The box's address on the hotspot; links use http://<gateway>:<port>/. */
  readonly gateway: string;
}

export type HotspotState = 'closed' | 'starting' | 'up' | 'failed';

export class HotspotError extends Error {
  override readonly name = 'HotspotError';
}

/** Throws HotspotError unless `dir` is on tmpfs or ramfs. */
export function assertRamDirectory(dir: string): void {
  let type: number;
  try {
    type = statfsSync(dir).type;
  } catch {
    throw new HotspotError(`runtime directory ${dir} does not exist; run under systemd with RuntimeDirectory=sonobox or pass a tmpfs directory`);
  }
  if (!RAM_FS.has(type)) throw new HotspotError(`runtime directory ${dir} is not tmpfs; the hotspot passphrase may only be written to RAM (use /run/sonobox or /dev/shm)`);
}

export class Hotspot {
  readonly #o: HotspotOptions;
  #state: HotspotState = 'closed';
  #session: HotspotSession | undefined;
  #children = new Map<'hostapd' | 'dnsmasq', ChildProcess>();
  #stations = new Set<string>();
  #listeners = new Set<() => void>();
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #generation = 0;

  constructor(options: HotspotOptions) {
    validateHotspotSettings(options.settings);
    this.#o = options;
  }

  get state(): HotspotState {
    return this.#state;
  }

  /** Phones associated right now (a count; the addresses stay inside this object). */
  get stations(): number {
    return this.#stations.size;
  }

  get session(): HotspotSession | undefined {
    return this.#session;
  }

  get directory(): string {
    return join(this.#o.runtimeDir, 'hotspot');
  }

  /** Called on every state or station change. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Opens the access point for a new session with a fresh passphrase. Returns at once with
   * what the cart shows; resolves `ready` when hostapd reports AP-ENABLED (rejects with
   * a HotspotError saying what to check otherwise).
   */
  open(): { session: HotspotSession; ready: Promise<void> } {
    if (this.#state !== 'closed') throw new HotspotError('the hotspot is already open; close it first');
    assertRamDirectory(this.#o.runtimeDir);
    const { ssid } = this.#o.settings;
    const passphrase = generatePassphrase();
    this.#session = { ssid, passphrase, wifiQr: wifiQrString({ ssid, passphrase }), gateway: HOTSPOT_GATEWAY };
    this.#generation++;
    this.#restarts = 0;
    this.#setState('starting');
    const ready = this.#bringUp(this.#generation);
    ready.catch(() => undefined);
    return { session: this.#session, ready };
  }

  /** Stops both children, forgets the passphrase and stations, removes every file. */
  async close(): Promise<void> {
    this.#generation++;
    clearTimeout(this.#restartTimer);
    const exits = [...this.#children.values()].map((c) => stopChild(c, 3000));
    this.#children.clear();
    await Promise.all(exits);
    rmSync(this.directory, { recursive: true, force: true });
    if (this.#session) this.#ip(['addr', 'flush', 'dev', this.#o.settings.interface]);
    this.#session = undefined;
    this.#stations.clear();
    this.#setState('closed');
  }

  async #bringUp(generation: number): Promise<void> {
    const s = this.#o.settings;
    try {
      const dir = this.directory;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
      this.#writeConfigs();
      this.#ip(['link', 'set', s.interface, 'up']);
      this.#ip(['addr', 'flush', 'dev', s.interface]);
      this.#ip(['addr', 'add', `${HOTSPOT_GATEWAY}/${HOTSPOT_PREFIX}`, 'dev', s.interface]);
      await this.#startHostapd(generation);
      await this.#startDnsmasq(generation);
      this.#removeConfigs();
      if (generation !== this.#generation) return;
      this.#setState('up');
      this.#o.log.info(`Hotspot up on ${s.interface} (WPA2, client isolation; phones get 10.42.0.x)`);
    } catch (e) {
      this.#removeConfigs();
      if (generation !== this.#generation) return;
      this.#setState('failed');
      const msg = e instanceof Error ? e.message : String(e);
      this.#o.log.warn(`Hotspot could not start: ${msg}`);
      throw e instanceof HotspotError ? e : new HotspotError(msg);
    }
  }

  #paths(): { hostapd: string; dnsmasq: string; ctrl: string } {
    const d = this.directory;
    return { hostapd: join(d, 'hostapd.conf'), dnsmasq: join(d, 'dnsmasq.conf'), ctrl: join(d, 'ctrl') };
  }

  #writeConfigs(): void {
    const p = this.#paths();
    const s = this.#o.settings;
    const session = this.#session!;
    const hostapd = hostapdConfig({ ...s, passphrase: session.passphrase, ctrlInterfaceDir: p.ctrl, maxStations: this.#o.maxStations });
    // flag 'wx': never follow or reuse an existing file; mode 0600 from creation on.
    writeFileSync(p.hostapd, hostapd, { mode: 0o600, flag: 'wx' });
    writeFileSync(p.dnsmasq, dnsmasqConfig({ interface: s.interface, gateway: HOTSPOT_GATEWAY, leaseS: 600 }), { mode: 0o600, flag: 'wx' });
  }

  #removeConfigs(): void {
    const p = this.#paths();
    rmSync(p.hostapd, { force: true });
    rmSync(p.dnsmasq, { force: true });
  }

  #ip(args: string[]): void {
    const r = spawnSync(this.#o.commands?.ip ?? 'ip', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new HotspotError(`"ip ${args.join(' ')}" failed (${r.error?.message ?? r.stderr.trim()}); is ${this.#o.settings.interface} a Wi-Fi interface and are we root?`);
  }

  #startHostapd(generation: number): Promise<void> {
    const child = spawn(this.#o.commands?.hostapd ?? 'hostapd', [this.#paths().hostapd], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.set('hostapd', child);
    const tail: string[] = [];
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HotspotError(`hostapd did not enable the access point within ${this.#o.enableTimeoutMs ?? 20_000} ms; check that ${this.#o.settings.interface} supports AP mode (iw list) and is not managed by another program`)), this.#o.enableTimeoutMs ?? 20_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        // Keep a short tail for the failure message, never lines naming a station.
        if (!/[0-9a-f]{2}(:[0-9a-f]{2}){5}/i.test(line) && !/passphrase|psk/i.test(line)) tail.push(line.slice(0, 200));
        if (tail.length > 6) tail.shift();
        const ev = parseHostapdLine(line);
        if (!ev || generation !== this.#generation) return;
        if (ev.type === 'enabled') {
          clearTimeout(timer);
          resolve();
        } else if (ev.type === 'station-connected') {
          this.#stations.add(ev.station);
          this.#emit();
        } else if (ev.type === 'station-disconnected') {
          this.#stations.delete(ev.station);
          this.#emit();
        }
      });
      child.stderr!.resume();
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new HotspotError(`cannot run hostapd (${e.message}); install the hostapd package`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new HotspotError(`hostapd exited (${code}) before the access point came up: ${tail.join(' | ')}`));
        this.#childExited('hostapd', child, generation);
      });
    });
  }

  /** Resolves once dnsmasq has read its file and says "started" (its log goes to our pipe, never on). */
  #startDnsmasq(generation: number): Promise<void> {
    // -k: stay in the foreground (supervised here); --pid-file with no value: write none;
    // --log-facility=-: its few lines to stderr (read here for "started", then dropped).
    const child = spawn(this.#o.commands?.dnsmasq ?? 'dnsmasq', ['-k', `--conf-file=${this.#paths().dnsmasq}`, '--pid-file', '--log-facility=-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#children.set('dnsmasq', child);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HotspotError('dnsmasq did not start within 10 s; phones would get no address')), 10_000);
      createInterface({ input: child.stderr! }).on('line', (line) => {
        if (/\bstarted\b/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new HotspotError(`cannot run dnsmasq (${e.message}); install dnsmasq-base`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new HotspotError(`dnsmasq exited (${code}) before it started; check that nothing else serves DHCP on ${this.#o.settings.interface}`));
        this.#childExited('dnsmasq', child, generation);
      });
    });
  }

  /** Supervision: a child that dies while the session is open is restarted with back-off. */
  #childExited(name: 'hostapd' | 'dnsmasq', child: ChildProcess, generation: number): void {
    if (generation !== this.#generation || this.#children.get(name) !== child || this.#state !== 'up') return;
    this.#children.delete(name);
    this.#stations.clear();
    const delayMs = Math.min(30_000, 1000 * 2 ** this.#restarts++);
    this.#o.log.warn(`Hotspot: ${name} stopped; restarting it in ${delayMs / 1000} s`);
    this.#setState('starting');
    this.#restartTimer = setTimeout(() => {
      if (generation !== this.#generation) return;
      const others = [...this.#children.values()];
      this.#children.clear();
      void Promise.all(others.map((c) => stopChild(c, 3000))).then(() => this.#bringUp(generation)).catch(() => undefined);
    }, delayMs);
    this.#restartTimer.unref();
  }

  #setState(state: HotspotState): void {
    this.#state = state;
    this.#emit();
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }
}

