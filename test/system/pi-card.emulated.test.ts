/**
 * `npm run test:pi-card`: the arm64 Raspberry Pi card (image-build/build.sh --arch arm64
 * --source debian), booted from its emulated SD card as a Raspberry Pi 3 B (QEMU `raspi3b`)
 * with its own kernel, initrd and device tree, and watched from the host: multi-user.target
 * with no failed unit, the boot partition mounted before the service started, the service
 * READY with its link on the console, its native parts aarch64, the USB network card that
 * carries the stream, and a headless Chromium on the host playing the test pattern through
 * forwarded ports (QEMU and Chromium share an empty network namespace, as in
 * boot.e2e.test.ts). Last, the emulated board's watchdog: why this boot turns systemd's
 * runtime watchdog off (see the last test), and that the card's settings fit the real one.
 *
 * Not in `npm test` (20–60 minutes on two cores; test/system/vitest.pi-card.config.ts).
 * Needs `npm run setup -- --with pi-card`. The card is rebuilt when anything that goes into
 * it changed (a key over those files, kept beside the image in .hw-cache/pi-card/); the
 * bootstrap tarball is cached by build.sh itself. SONOBOX_PI_CARD_REBUILD=1 forces a build;
 * SONOBOX_PI_CARD_IMAGE=<img> boots a card built beforehand instead (build.log beside it).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuAppliance, createNetns, deleteNetns, requireTools } from './qemu-appliance.js';
import { raspi3bMachine } from './qemu-machines.js';
import { watchFromHost } from './watch-from-host.js';

const repo = new URL('../..', import.meta.url).pathname;
const out = join(repo, '.hw-cache', 'pi-card');
const built = join(out, 'sonobox-arm64-debian.img');
const hostPort = 19_000 + (process.pid % 1000);
const netns = `sb-card-${process.pid}`;
const icePorts = Array.from({ length: 8 }, (_, i) => 45_000 + (process.pid % 500) * 8 + i);
// An emulated Cortex-A53 encodes far slower than a real one: a small picture at a low rate.
const serviceArgs = ['--ice-ports', `${icePorts[0]}-${icePorts.at(-1)}`, '--ice-host', '127.0.0.1', '--size', '640x360', '--fps', '10', '--source', 'test-pattern', '--mask-preset', 'none']; // none: the host reads the stamp in the top band the image's default mask blanks
/** Everything the card is made of (what build.sh and stage-app.sh read). */
const cardInputs = ['image-build', 'systemd', 'udev', 'appliance', 'web-ui', 'package.json', 'package-lock.json'];

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A key over the card's inputs as git sees the working tree (tracked and new files; docs and tests never reach the card). */
function cardKey(): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', ...cardInputs], { cwd: repo, encoding: 'utf8' })
    .split('\0').filter((f) => f && !/\.md$|\.test\.ts$/.test(f) && existsSync(join(repo, f))).sort();
  const h = createHash('sha256');
  for (const f of files) h.update(`${f}\0`).update(readFileSync(join(repo, f)));
  return h.digest('hex');
}

const measured: Record<string, string> = {};
const guestSeconds = (usec: string): string => (Number(usec) / 1e6).toFixed(1);

describe('the arm64 card boots as an emulated Raspberry Pi 3 and streams', () => {
  let q: QemuAppliance;
  let image = '';
  let hashBefore = '';
  let buildLog = '';

  beforeAll(async () => {
    requireTools(['mmdebstrap', 'qemu-aarch64-static', 'qemu-system-aarch64', 'mcopy', 'sfdisk', 'ip', 'curl'], 'run npm run setup -- --with pi-card');
    mkdirSync(out, { recursive: true });
    const given = process.env.SONOBOX_PI_CARD_IMAGE;
    const key = cardKey();
    const keyFile = `${built}.key`;
    const cached = process.env.SONOBOX_PI_CARD_REBUILD !== '1' && existsSync(built) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key;
    if (given) {
      // SONOBOX_PI_CARD_IMAGE: a card built beforehand with the same build.sh arguments (so
      // the long build can run outside the heavy lock); its build.log is read beside it.
      if (!existsSync(given) || !existsSync(join(dirname(given), 'build.log'))) throw new Error(`SONOBOX_PI_CARD_IMAGE=${given}: no such image, or no build.log beside it (image-build/build.sh --arch arm64 --source debian --no-xz --out DIR)`);
      measured['build'] = `given (SONOBOX_PI_CARD_IMAGE)`;
    } else if (cached) {
      measured['build'] = 'reused (inputs unchanged)';
    } else {
      rmSync(keyFile, { force: true });
      const t0 = performance.now();
      execFileSync(join(repo, 'image-build/build.sh'), ['--arch', 'arm64', '--source', 'debian', '--no-xz', '--out', out], {
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: 90 * 60_000,
      });
      measured['build (s, bootstrap cached if it was)'] = ((performance.now() - t0) / 1000).toFixed(0);
      writeFileSync(keyFile, key);
    }
    const card = given ?? built;
    buildLog = readFileSync(join(dirname(card), 'build.log'), 'utf8');
    measured['card image (MiB)'] = (statSync(card).size / 2 ** 20).toFixed(0);
    image = join(out, 'boot-under-test.img');
    copyFileSync(card, image);
    createNetns(netns);
    rmSync(join(out, 'console.log'), { force: true });
    q = QemuAppliance.boot({
      image,
      machine: raspi3bMachine(),
      hostHttpPort: hostPort,
      udpPorts: icePorts,
      netns,
      consoleLog: join(out, 'console.log'),
      // systemd.watchdog_sec=off: QEMU's bcm2835 watchdog resets the board the moment it is
      // started (the last test proves it); the card's own setting is checked separately.
      extraCmdline: `systemd.watchdog_sec=off systemd.setenv=SONOBOX_ARGS=${serviceArgs.join(',')}`,
    });
    // Hashed after prepare() grew the copy to a power of two (QEMU's SD card needs it).
    hashBefore = await sha256(image);
  }, 100 * 60_000);

  afterAll(() => {
    q?.kill();
    deleteNetns(netns);
    if (image) rmSync(image, { force: true });
    console.log('pi-card measurements:', measured);
  });

  it('the build checked every boot storage path of every board against the card kernel and initrd', () => {
    // image-build/check-boot-storage.sh, run by build.sh: a missing driver fails the build.
    for (const path of ['pi3-sd', 'pi3-usb', 'pi4-sd', 'pi400-sd', 'pi4-usb-uas', 'pi4-usb-bot', 'cm4-emmc', 'cm4-nvme']) {
      expect(buildLog).toContain(`boot storage ${path}: ok`);
    }
    // Debian's 6.12 kernel has no Pi 5 SD, PCIe or RP1 driver (image-build/README.md).
    for (const path of ['pi5-sd', 'pi5-usb', 'pi5-nvme']) {
      expect(buildLog).toMatch(new RegExp(`boot storage ${path}: not bootable with \\S+, as documented`));
    }
  });

  it('reaches multi-user.target', async () => {
    const hit = await q.waitForConsole(/Reached target .*multi-user\.target|Reached target.*Multi-User System/, 40 * 60_000);
    measured['QEMU start to multi-user.target (s)'] = (hit.atMs / 1000).toFixed(0);
  }, 40 * 60_000 + 10_000);

  it('sonobox.service is active after READY and prints its link on the console', async () => {
    await q.until('systemctl is-active sonobox.service', 15 * 60_000, 5_000).catch(async (e: unknown) => {
      const journal = await q.run('journalctl -u sonobox.service --no-pager -n 25 -o cat');
      throw new Error(`${String(e)}\nservice journal:\n${journal.out}`);
    });
    measured['kernel start to READY (guest s)'] = guestSeconds((await q.run('systemctl show -p ActiveEnterTimestampMonotonic --value sonobox.service')).out);
    const link = await q.waitForConsole(/Link: https?:\/\/\S+/, 60_000);
    measured['QEMU start to Link: on the console (s)'] = (link.atMs / 1000).toFixed(0);
    expect(link.line).toMatch(/Link: https?:\/\/[^\s/]+(:\d+)?\//);
  }, 15 * 60_000 + 70_000);

  it('mounted the boot partition before the service started, and the service read sonobox.toml from it', async () => {
    const mount = await q.run('findmnt -no FSTYPE,OPTIONS /boot/firmware');
    expect(mount.out).toMatch(/^vfat\s+ro,/);
    // The marker on the root's empty mount point is hidden by the mounted partition.
    expect((await q.run('test -e /boot/firmware/sonobox-boot-partition-not-mounted')).status).toBe(1);
    const mono = async (unit: string, prop: string): Promise<number> => Number((await q.run(`systemctl show -p ${prop} --value '${unit}'`)).out);
    const device = await mono('dev-disk-by\\x2dlabel-SONOBOOT.device', 'ActiveEnterTimestampMonotonic');
    const mounted = await mono('boot-firmware.mount', 'ActiveEnterTimestampMonotonic');
    const started = await mono('sonobox.service', 'ExecMainStartTimestampMonotonic');
    measured['SONOBOOT device appeared (guest s after kernel start)'] = guestSeconds(String(device));
    expect(device).toBeGreaterThan(0);
    expect(mounted).toBeGreaterThanOrEqual(device);
    expect(started).toBeGreaterThan(mounted);
    // network.mode = "auto" is set only in the card's sonobox.toml (the built-in default is
    // clinic, which logs no such line): the service read the file.
    const hit = await q.waitForConsole(/network mode auto:/, 10_000);
    expect(hit.line).toContain('network mode auto: clinic');
  });

  it('has no failed units', async () => {
    expect((await q.run('systemctl --failed --no-legend --plain')).out).toBe('');
  });

  it('its native parts are aarch64 and running', async () => {
    // ELF e_machine (offset 18, little endian): 0x00b7 = EM_AARCH64.
    const machines = await q.run("for f in /opt/sonobox/appliance/native/x264-pipe $(find /opt/sonobox/node_modules -name '*.node'); do printf '%s %s\\n' \"$(od -An -tx2 -j18 -N2 \"$f\" | tr -d ' ')\" \"$f\"; done");
    const rows = machines.out.split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(row, row).toMatch(/^00b7 /);
    // The card has no procps (no pgrep): the running encoder, found in /proc, and its owner.
    const running = await q.run('for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = x264-pipe ] && stat -c %U $p; done; true');
    expect(running.out.split('\n')).toContain('sonobox');
  });

  it('the stream leaves through the emulated USB network card (usbnet), with an address from DHCP', async () => {
    const nic = await q.run("for n in /sys/class/net/*; do [ -e $n/device/driver ] && echo \"$(basename $n) $(basename $(readlink $n/device/driver))\"; done");
    const [name, driver] = nic.out.split('\n')[0]!.split(' ');
    expect(['cdc_ether', 'rndis_host']).toContain(driver);
    expect((await q.run(`ip -4 -o addr show dev ${name}`)).out).toContain('inet 10.0.2.15/');
  });

  it('a headless Chromium on the host plays the test pattern through the forwarded ports', async () => {
    const watched = await watchFromHost(q, { netns, hostPort, workDir: out, frames: 10, liveTimeoutMs: 180_000, framesTimeoutMs: 120_000 });
    measured['Chromium: link opened to live (s)'] = (watched.openToLiveMs / 1000).toFixed(1);
    measured['Chromium: link opened to first frame (s)'] = (watched.openToFirstFrameMs / 1000).toFixed(1);
    measured['QEMU start to first frame (s)'] = ((performance.now() - q.startedAt) / 1000).toFixed(0);
    // The box's frame counter, stamped into the pictures: it moves, in order.
    const seqs = watched.presented.map((f) => f.seq);
    expect(new Set(seqs).size).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
  }, 330_000);

  it("the card's watchdog settings fit the board's watchdog (bcm2835-wdt)", async () => {
    const wd = await q.run('cat /sys/class/watchdog/watchdog0/identity /sys/class/watchdog/watchdog0/max_timeout');
    const [identity, max] = wd.out.split('\n');
    expect(identity).toBe('Broadcom BCM2835 Watchdog timer');
    // systemd asks for RuntimeWatchdogSec / RebootWatchdogSec with WDIOC_SETTIMEOUT; the
    // watchdog core refuses more than max_timeout (EINVAL) and systemd then disarms the
    // watchdog instead (src/shared/watchdog.c): both must fit.
    const conf = (await q.run('systemd-analyze cat-config systemd/system.conf')).out;
    for (const key of ['RuntimeWatchdogSec', 'RebootWatchdogSec']) {
      const m = new RegExp(`^${key}=(\\d+)s$`, 'm').exec(conf);
      expect(m, `${key} in system.conf.d`).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(Number(m![1])).toBeLessThanOrEqual(Number(max));
    }
    // Off for this boot only, from the kernel command line (the test's, not the card's).
    expect((await q.run('cat /proc/cmdline')).out).toContain('systemd.watchdog_sec=off');
  });

  it("QEMU's bcm2835 watchdog resets the board the moment it is started, not when it expires", async () => {
    // Opening /dev/watchdog0 starts it with the driver's timeout (15 s: bcm2835_wdt_start
    // writes the tick count to PM_WDOG, then FULL_RESET into PM_RSTC). Real silicon counts
    // PM_WDOG down and resets at zero; QEMU's model (hw/misc/bcm2835_powermgt.c) resets on
    // the PM_RSTC write. With -no-reboot, the reset ends QEMU.
    expect((await q.run('cat /sys/class/watchdog/watchdog0/timeout')).out).toBe('15');
    const t0 = performance.now();
    await q.send('sh -c "exec 3>/dev/watchdog0; sleep 60"\n');
    await q.exited;
    const resetAfterMs = performance.now() - t0;
    measured['watchdog opened to board reset (s, timeout 15 s)'] = (resetAfterMs / 1000).toFixed(1);
    expect(resetAfterMs).toBeLessThan(10_000);
    // The reset left the card as it was: read-only root, read-only boot partition.
    expect(await sha256(image)).toBe(hashBefore);
  }, 60_000);
});
