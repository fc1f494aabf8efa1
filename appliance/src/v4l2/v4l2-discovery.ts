/**
 * Finding the capture dongle without hard-coding /dev/videoN: the stable udev name first
 * (udev/ installs SYMLINK+="sonobox/capture"), else a scan of /sys/class/video4linux for a
 * UVC node that can capture (QUERYCAP says so; a UVC dongle's second node is metadata only).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CaptureDevice } from './v4l2-capture-device.js';

/** The udev symlink for the capture dongle (udev/ rules). */
export const STABLE_CAPTURE_PATH = '/dev/sonobox/capture';

/** A video4linux node as sysfs describes it, plus what QUERYCAP said when it could be opened. */
export interface VideoNode {
  /** /dev/videoN */
  path: string;
  /** sysfs "name" (the card name, e.g. "USB3 Video: USB3 Video" or "vivid-000-vid-cap"). */
  name: string;
  /** Kernel driver bound to the parent device, e.g. "uvcvideo", "vivid", "bcm2835-codec". */
  driver: string;
  /** N in /dev/videoN, for a stable order. */
  number: number;
  /** QUERYCAP: a streaming capture node that is not a codec; false if it could not be opened. */
  isCapture: boolean;
}

export interface DiscoveryOptions {
  sysClassDir?: string; // default '/sys/class/video4linux'
  devDir?: string; // default '/dev'
  stablePath?: string; // default STABLE_CAPTURE_PATH
  /** Drivers accepted by the scan; default ['uvcvideo']. Tests pass ['vivid']. */
  drivers?: readonly string[];
  /** How to learn isCapture; default opens the node and asks QUERYCAP. */
  probeCapture?: (path: string) => boolean;
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function probeWithQuerycap(path: string): boolean {
  try {
    const dev = CaptureDevice.open(path);
    try {
      return dev.queryCaps().isCapture;
    } finally {
      dev.close();
    }
  } catch {
    return false;
  }
}

/**
 * Every video4linux node, in /dev/videoN order. With `onlyDrivers`, nodes of other drivers
 * are listed but not opened (isCapture false): the source scans every retry while no dongle
 * is plugged in, and must not open a board's codec and ISP nodes four times a second.
 */
export function listVideoNodes(opts: DiscoveryOptions = {}, onlyDrivers?: readonly string[]): VideoNode[] {
  const sys = opts.sysClassDir ?? '/sys/class/video4linux';
  const dev = opts.devDir ?? '/dev';
  const probe = opts.probeCapture ?? probeWithQuerycap;
  let entries: string[];
  try {
    entries = readdirSync(sys).filter((e) => /^video\d+$/.test(e));
  } catch {
    return [];
  }
  return entries
    .map((e) => {
      let driver = '';
      try {
        driver = basename(readlinkSync(join(sys, e, 'device', 'driver')));
      } catch {
        // no driver link (unusual): leave empty, it will not match
      }
      const path = join(dev, e);
      const wanted = !onlyDrivers || onlyDrivers.includes(driver);
      return { path, name: readTrim(join(sys, e, 'name')), driver, number: Number(e.slice(5)), isCapture: wanted && existsSync(path) && probe(path) };
    })
    .sort((a, b) => a.number - b.number);
}

/** Pure: the capture candidates among nodes, best first (accepted driver, capture-capable, lowest N). */
export function pickCaptureNodes(nodes: readonly VideoNode[], drivers: readonly string[]): VideoNode[] {
  return nodes.filter((n) => n.isCapture && drivers.includes(n.driver)).sort((a, b) => a.number - b.number);
}

/** The capture device to open: the stable udev path when it exists, else the best scanned node, else undefined. */
export function findCaptureDevice(opts: DiscoveryOptions = {}): string | undefined {
  const stable = opts.stablePath ?? STABLE_CAPTURE_PATH;
  if (existsSync(stable)) return stable;
  const drivers = opts.drivers ?? ['uvcvideo'];
  return pickCaptureNodes(listVideoNodes(opts, drivers), drivers)[0]?.path;
}

/**
 * The /dev node whose sysfs name is exactly `name` (e.g. vicodec's "stateful-encoder"),
 * found without opening any device; undefined when there is none or no V4L2 at all.
 */
export function nodeNamed(name: string, opts: Pick<DiscoveryOptions, 'sysClassDir' | 'devDir'> = {}): string | undefined {
  const sys = opts.sysClassDir ?? '/sys/class/video4linux';
  try {
    for (const e of readdirSync(sys)) {
      if (readFileSync(`${sys}/${e}/name`, 'latin1').trim() === name) return `${opts.devDir ?? '/dev'}/${e}`;
    }
  } catch {
    /* no V4L2 on this machine */
  }
  return undefined;
}
