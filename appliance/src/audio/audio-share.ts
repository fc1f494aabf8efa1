/**
 * What the viewers are told about the sound, from what the box has: one word the page, the
 * cart and /api/status all use. Pure.
 *
 *   on     sound is being shared (it may be quiet: the scanner sends silence outside Doppler)
 *   muted  the sonographer muted it for everyone at the box (cart button: two quick presses)
 *   none   this box has no sound to send now: none configured, a source without sound
 *          (--source -), a dongle without a sound card, or the sound device failing
 */
import { AudioCondition } from './audio-frame.js';

export const AudioShare = { on: 'on', muted: 'muted', none: 'none' } as const;
export type AudioShare = (typeof AudioShare)[keyof typeof AudioShare];

/**
 * `condition` is the source's (undefined: no source at all). Muting wins over trouble: the
 * sonographer chose it, and the page should say so rather than "no sound".
 */
export function audioShare(condition: AudioCondition | undefined, muted: boolean): AudioShare {
  if (condition === undefined || condition === AudioCondition.off) return AudioShare.none;
  if (muted) return AudioShare.muted;
  return condition === AudioCondition.live || condition === AudioCondition.silent ? AudioShare.on : AudioShare.none;
}
