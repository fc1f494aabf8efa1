/**
 * The cart button's press classifier, pure and on an injected clock: key events in,
 * actions out. The I/O wrapper (evdev-button.ts) feeds it and arms one timer at
 * nextDeadline().
 *
 *   up ──press──▶ down ──release──▶ releasing ──(debounce ms quiet)──▶ up   emits 'share'
 *                  │                    └──press within debounce──▶ down  (contact bounce)
 *                  ├──release before debounce ms──▶ up                     (a glitch: nothing)
 *                  └──held longPress ms──▶ down (fired)                     emits 'end' at once
 *
 * 'share' fires on a confirmed release, 'end' when the hold time elapses while still
 * held (the sonographer feels it happen), and its release then emits nothing.
 * Autorepeat (value 2) is ignored.
 */
export type ButtonAction = 'share' | 'end';

export interface PressTiming {
  /** Contact bounce filter, ms. */
  readonly debounceMs: number;
  /** Hold time that ends the session, ms. */
  readonly longPressMs: number;
}

export const defaultPressTiming: PressTiming = { debounceMs: 30, longPressMs: 2000 };

type PressState =
  | { readonly kind: 'up' }
  | { readonly kind: 'down'; readonly since: number; readonly longFired: boolean }
  | { readonly kind: 'releasing'; readonly since: number; readonly releasedAt: number; readonly longFired: boolean };

export class PressClassifier {
  private state: PressState = { kind: 'up' };

  constructor(private readonly timing: PressTiming = defaultPressTiming) {}

  /** Feeds one EV_KEY value (0 release, 1 press, 2 repeat) seen at `now` ms. */
  processInput(value: number, now: number): ButtonAction[] {
    const out = this.tick(now);
    const s = this.state;
    if (value === 1) {
      if (s.kind === 'up') this.state = { kind: 'down', since: now, longFired: false };
      else if (s.kind === 'releasing') this.state = { kind: 'down', since: s.since, longFired: s.longFired };
    } else if (value === 0 && s.kind === 'down') {
      this.state = now - s.since < this.timing.debounceMs
        ? { kind: 'up' }
        : { kind: 'releasing', since: s.since, releasedAt: now, longFired: s.longFired };
    }
    return out;
  }

  /** Advances the clock to `now`: emits 'end' when held long enough, 'share' when a release settles. */
  tick(now: number): ButtonAction[] {
    const s = this.state;
    if (s.kind === 'down' && !s.longFired && now - s.since >= this.timing.longPressMs) {
      this.state = { ...s, longFired: true };
      return ['end'];
    }
    if (s.kind === 'releasing' && now - s.releasedAt >= this.timing.debounceMs) {
      this.state = { kind: 'up' };
      // A hold that reached the long-press time was already reported as 'end'.
      if (!s.longFired && s.releasedAt - s.since < this.timing.longPressMs) return ['share'];
    }
    return [];
  }

  /** When tick() must next be called, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    const s = this.state;
    if (s.kind === 'down' && !s.longFired) return s.since + this.timing.longPressMs;
    if (s.kind === 'releasing') return s.releasedAt + this.timing.debounceMs;
    return undefined;
  }

  /** Forgets a press in progress (the device vanished mid-press: no action from it). */
  reset(): void {
    this.state = { kind: 'up' };
  }
}
