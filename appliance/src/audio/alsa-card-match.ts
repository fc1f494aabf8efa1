/**
 * Which ALSA card is the capture dongle's own audio: the sound card whose USB device is the
 * one the video node hangs off. An HDMI dongle is one USB device with several interfaces
 * (UVC video control/streaming, USB Audio Class control/streaming, often HID); in sysfs
 *   /sys/class/video4linux/video0 → …/usb1/1-2/1-2:1.0/video4linux/video0
 *   /sys/class/sound/card1        → …/usb1/1-2/1-2:1.2/sound/card1
 * and walking up from each to the first directory with idVendor and busnum (a USB
 * *device*; interfaces like 1-2:1.0 have neither) gives the same 1-2. A laptop's own
 * microphone (a PCI card), a second dongle, or a USB headset all hang off other devices
 * and are never picked. The walk runs again at every (re)open: card numbers change when
 * a dongle is replugged.
 *
 * Reads only the sysfs tree it is given (a fake one in tests). The device name it returns
 * is `plughw:CARD=<id>,DEV=<n>`: by card id, not number, and through ALSA's plug layer,
 * which is a straight copy when the card already does 48 kHz S16 (the MS2109 with the
 * kernel quirk, the MS2130) and converts otherwise.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The dongle's sound card, as found. */
export interface AudioCard {
  /** ALSA device to open: plughw:CARD=<id>,DEV=<n>. */
  readonly alsaName: string;
  readonly cardNumber: number;
  /** The card's id (/sys/class/sound/cardN/id), e.g. "MS2109". */
  readonly cardId: string;
  /** The capture PCM's device number. */
  readonly pcmDevice: number;
  /** USB vendor:product of the dongle, lower-case hex, e.g. "534d:2109". */
  readonly usbId: string;
}

/** Why no card was found, as a closed set; `detail` says it for the log. */
export type NoAudioCard = { readonly reason: 'no-video-node' | 'not-usb' | 'no-audio' | 'no-capture-pcm'; readonly detail: string };

export interface CardMatchOptions {
  /** Root of the sysfs tree; default '/sys'. */
  readonly sysRoot?: string;
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The USB device directory above `sysPath` (real path), or undefined when there is none. */
export function usbDeviceOf(sysPath: string, sysRoot = '/sys'): string | undefined {
  let p: string;
  try {
    p = realpathSync(sysPath);
  } catch {
    return undefined;
  }
  const root = realpathSync(sysRoot);
  while (p.startsWith(root) && p !== root) {
    if (existsSync(join(p, 'idVendor')) && existsSync(join(p, 'busnum'))) return p;
    p = dirname(p);
  }
  return undefined;
}

/**
 * The sysfs directory of a video node given its /dev path (a udev symlink such as
 * /dev/sonobox/capture is followed to /dev/videoN first).
 */
export function videoSysPath(devPath: string, sysRoot = '/sys'): string | undefined {
  let name: string;
  try {
    name = basename(realpathSync(devPath));
  } catch {
    name = basename(devPath);
  }
  const p = join(sysRoot, 'class', 'video4linux', name);
  return existsSync(p) ? p : undefined;
}

/** The dongle's audio card for the video node at `videoSys` (a /sys/class/video4linux/videoN path). */
export function findAudioCard(videoSys: string | undefined, opts: CardMatchOptions = {}): AudioCard | NoAudioCard {
  const sysRoot = opts.sysRoot ?? '/sys';
  if (!videoSys || !existsSync(videoSys)) {
    return { reason: 'no-video-node', detail: 'the capture device is not in sysfs (unplugged?)' };
  }
  const usb = usbDeviceOf(videoSys, sysRoot);
  if (!usb) return { reason: 'not-usb', detail: `${basename(videoSys)} is not on a USB device, so it has no dongle audio` };
  const usbId = `${readTrim(join(usb, 'idVendor'))}:${readTrim(join(usb, 'idProduct'))}`.toLowerCase();
  const soundClass = join(sysRoot, 'class', 'sound');
  let entries: string[] = [];
  try {
    entries = readdirSync(soundClass).filter((e) => /^card\d+$/.test(e));
  } catch {
    /* no sound subsystem at all */
  }
  const cards = entries
    .map((e) => ({ dir: join(soundClass, e), number: Number(e.slice(4)) }))
    .filter((c) => usbDeviceOf(c.dir, sysRoot) === usb)
    .sort((a, b) => a.number - b.number);
  if (cards.length === 0) return { reason: 'no-audio', detail: `the capture dongle (USB ${usbId}) has no sound card: it carries no audio` };
  for (const card of cards) {
    const pcms = readdirSync(card.dir)
      .map((e) => new RegExp(`^pcmC${card.number}D(\\d+)c$`).exec(e)?.[1])
      .filter((d): d is string => d !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    if (pcms.length === 0) continue;
    const cardId = readTrim(join(card.dir, 'id')) || String(card.number);
    return { alsaName: `plughw:CARD=${cardId},DEV=${pcms[0]}`, cardNumber: card.number, cardId, pcmDevice: pcms[0]!, usbId };
  }
  return { reason: 'no-capture-pcm', detail: `the capture dongle's sound card (USB ${usbId}) has no capture device` };
}

/** True when `r` is a card (not a reason it is missing). */
export const isAudioCard = (r: AudioCard | NoAudioCard): r is AudioCard => 'alsaName' in r;

/**
 * The MS2109 trap (534d:2109): its descriptors claim 96 kHz mono, but it sends 48 kHz
 * stereo. Linux fixes it with a quirk (sound/usb/quirks-table.h, upstream e337bf19f6af,
 * 5.8; in Debian's 6.1 and 6.12: interface 3 as 48 kHz 2 ch S16_LE, plus
 * QUIRK_FLAG_ALIGN_TRANSFER and a 2-byte stream offset in quirks.c against swapped
 * channels). Given /proc/asound/cardN/stream0 of such a card, says so when the running
 * kernel lacks the quirk (the capture would be garbled), else undefined. Pure.
 */
export function ms2109QuirkMissing(usbId: string, stream0: string): string | undefined {
  if (usbId !== '534d:2109') return undefined;
  const at = stream0.search(/^Capture:/m);
  if (at < 0) return undefined;
  const capture = stream0.slice(at).split(/^Playback:/m)[0]!;
  if (/Rates:\s*96000/.test(capture) && /Channels:\s*1\b/.test(capture)) {
    return 'this MS2109 dongle reports 96 kHz mono: the kernel lacks its quirk (Linux ≥ 5.8 has it), so its audio will be garbled; use a newer kernel';
  }
  return undefined;
}
