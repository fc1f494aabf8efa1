/**
 * The boards the system tests emulate, as data: which QEMU, which boot files it takes off the
 * image's FAT partition (the way each board's firmware would), which guest ttys are the
 * console and the debug shell, and how the network device is attached. QemuAppliance
 * (qemu-appliance.ts) does the rest the same way for every board.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

/** What QemuAppliance needs to start one board. */
export interface Machine {
  readonly name: string;
  readonly qemu: string;
  /** The guest tty of QEMU's second serial port, where systemd's debug shell runs. */
  readonly shellTty: string;
  /** QEMU arguments that attach the guest's network card to `-netdev ...,id=n0`. */
  readonly nic: readonly string[];
  /**
   * Copies what the board boots from out of `image` into `dir` and returns the kernel
   * command line the board's firmware would pass and QEMU's board arguments.
   */
  prepare(image: string, dir: string): { cmdline: string; args: string[] };
}

/** Reads one file from the FAT partition starting at 1 MiB (mtools, no loop device). */
export function readBootFile(image: string, name: string, dest: string): void {
  execFileSync('mcopy', ['-o', '-i', `${image}@@1M`, `::${name}`, dest], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
}

/**
 * The amd64 system-test variant: a PC with virtio disk and network, booted directly from
 * the FAT partition's vmlinuz, initrd.img and cmdline.txt; an i6300esb as the hardware
 * watchdog behind systemd's RuntimeWatchdogSec=.
 */
export function pcMachine(memoryMb = 1536): Machine {
  return {
    name: 'pc',
    qemu: 'qemu-system-x86_64',
    shellTty: 'ttyS1',
    nic: ['-device', 'virtio-net-pci,netdev=n0'],
    prepare(image, dir) {
      for (const f of ['vmlinuz', 'initrd.img', 'cmdline.txt']) readBootFile(image, f, join(dir, f));
      return {
        cmdline: readFileSync(join(dir, 'cmdline.txt'), 'utf8').trim(),
        args: [
          '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', String(memoryMb),
          '-kernel', join(dir, 'vmlinuz'), '-initrd', join(dir, 'initrd.img'),
          '-drive', `file=${image},format=raw,if=virtio`,
          '-device', 'i6300esb', '-action', 'watchdog=reset',
        ],
      };
    },
  };
}

/**
 * The arm64 card as a Raspberry Pi 3 B (QEMU's `raspi3b`: 4 Cortex-A53, 1 GiB, the SD
 * host, PL011 + mini UART, the DWC2 USB controller). The card's own kernel, initrd and
 * bcm2837-rpi-3-b.dtb come off its FAT partition, named as raspi-firmware's config.txt
 * names them. What the Pi's firmware does and QEMU does not is done here:
 *   - cmdline.txt's `console=serial0,115200 console=tty1` becomes `console=ttyAMA0,115200`:
 *     the firmware resolves serial0 to the PL011, which is QEMU's first serial port; the
 *     last console is /dev/console, where the service prints its link, so tty1 goes;
 *   - the SD card must be a power of two in size (QEMU's sd.c refuses other sizes), so the
 *     image under test is grown in place to the next one (sparse; the partitions are untouched).
 * Network: no NIC on the board, so a USB one (`usb-net`, CDC Ethernet/RNDIS) on the DWC2
 * root port, with a fixed global MAC (see `nic`); Debian's kernel drives it with cdc_ether
 * (or rndis_host) over usbnet.
 */
export function raspi3bMachine(): Machine {
  return {
    name: 'raspi3b',
    qemu: 'qemu-system-aarch64',
    shellTty: 'ttyS1',
    // A fixed, globally administered MAC (00-00-5E-00-53-xx, RFC 7042's documentation
    // range). usbnet names a point-to-point CDC device whose address is locally
    // administered usb0, not eth0 (usbnet_probe), and the card's 20-wired.network
    // (en* eth*) does not match usb0: no DHCP, no stream. QEMU's default 52:54:00:… is
    // local; Debian 12's QEMU happens to overwrite the first octet with 0x40 in the
    // descriptor the guest reads, later QEMUs may pass it through. A real Pi's NIC
    // (smsc95xx, lan78xx, genet) carries its burnt-in global address. Emulation only.
    nic: ['-device', 'usb-net,netdev=n0,mac=00:00:5e:00:53:01'],
    prepare(image, dir) {
      const config = (() => {
        readBootFile(image, 'config.txt', join(dir, 'config.txt'));
        return readFileSync(join(dir, 'config.txt'), 'utf8');
      })();
      const kernel = /^kernel=(\S+)/m.exec(config)?.[1];
      const initrd = /^initramfs (\S+)/m.exec(config)?.[1];
      if (!kernel || !initrd) throw new Error(`config.txt on the card names no kernel= or initramfs line:\n${config}`);
      for (const f of [kernel, initrd, 'bcm2837-rpi-3-b.dtb', 'cmdline.txt']) readBootFile(image, f, join(dir, f));
      const cmdline = readFileSync(join(dir, 'cmdline.txt'), 'utf8').trim()
        .split(/\s+/).filter((a) => !a.startsWith('console=')).concat('console=ttyAMA0,115200').join(' ');
      const size = statSync(image).size;
      let pow2 = 1;
      while (pow2 < size) pow2 *= 2;
      if (pow2 !== size) truncateSync(image, pow2);
      return {
        cmdline,
        args: [
          '-M', 'raspi3b', '-accel', 'tcg,thread=multi',
          '-kernel', join(dir, kernel), '-initrd', join(dir, initrd), '-dtb', join(dir, 'bcm2837-rpi-3-b.dtb'),
          '-drive', `file=${image},format=raw,if=sd`,
        ],
      };
    },
  };
}
