/**
 * The cart button's press classifier, pure and on an injected clock: key events in,
 * actions out. The I/O wrapper (evdev-button.ts) feeds it and arms one timer at
 * nextDeadline().
 *
 *   up ──press──▶ down ──release──▶ releasing ──(debounce ms quiet)──▶ waiting
 *                  │                    └──press within debounce──▶ down  (contact bounce)
 *                  ├──release before debounce ms──▶ up                     (a glitch: nothing)
 *                  └──held longPress ms──▶ down (fired)                     emits 'end' at once
 *   waiting ──(doublePress ms, no press)──▶ up                              emits 'share'
 *           └──press──▶ down (second) ──release, settled──▶ up              emits 'mute'
 *
 * 'share' fires once a confirmed release is not followed by a second press within
 * doublePressMs (0: at once, no gesture); two quick presses are 'mute' (the sonographer
 * mutes or unmutes the sound for everyone); 'end' when the hold time elapses while still
 * held (the sonographer feels it happen), and its release then emits nothing; a second
 * press held that long is 'end' alone. Autorepeat (value 2) is ignored.
 */
export type ButtonAction = 'share' | 'end' | 'mute';

export interface PressTiming {
  /** Contact bounce filter, ms. */
  readonly debounceMs: number;
  /** Hold time that ends the session, ms. */
  readonly longPressMs: number;
  /** A second press this soon after a settled release makes the two a 'mute', ms; 0 or absent: no gesture. */
  readonly doublePressMs?: number;
}

export const defaultPressTiming = { debounceMs: 30, longPressMs: 2000, doublePressMs: 400 } as const satisfies PressTiming;

type PressState =
  | { readonly kind: 'up' }
  | { readonly kind: 'down'; readonly since: number; readonly longFired: boolean; readonly second: boolean }
  | { readonly kind: 'releasing'; readonly since: number; readonly releasedAt: number; readonly longFired: boolean; readonly second: boolean }
  | { readonly kind: 'waiting'; readonly until: number };

export class PressClassifier {
  private state: PressState = { kind: 'up' };

  constructor(private readonly timing: PressTiming = defaultPressTiming) {}

  /** Feeds one EV_KEY value (0 release, 1 press, 2 repeat) seen at `now` ms. */
  processInput(value: number, now: number): ButtonAction[] {
    const out = this.tick(now);
    const s = this.state;
    if (value === 1) {
      if (s.kind === 'up') this.state = { kind: 'down', since: now, longFired: false, second: false };
      else if (s.kind === 'waiting') this.state = { kind: 'down', since: now, longFired: false, second: true };
      else if (s.kind === 'releasing') this.state = { kind: 'down', since: s.since, longFired: s.longFired, second: s.second };
    } else if (value === 0 && s.kind === 'down') {
      // A glitch after the first press leaves the first press waiting for its second.
      this.state = now - s.since < this.timing.debounceMs
        ? s.second ? { kind: 'waiting', until: now } : { kind: 'up' }
        : { kind: 'releasing', since: s.since, releasedAt: now, longFired: s.longFired, second: s.second };
    }
    return out;
  }

  /** Advances the clock to `now`: emits 'end' when held long enough, 'share' or 'mute' when a release settles. */
  tick(now: number): ButtonAction[] {
    const s = this.state;
    if (s.kind === 'down' && !s.longFired && now - s.since >= this.timing.longPressMs) {
      this.state = { ...s, longFired: true };
      return ['end'];
    }
    if (s.kind === 'releasing' && now - s.releasedAt >= this.timing.debounceMs) {
      this.state = { kind: 'up' };
      // A hold that reached the long-press time was already reported as 'end'.
      if (s.longFired || s.releasedAt - s.since >= this.timing.longPressMs) return [];
      if (s.second) return ['mute'];
      const window = this.timing.doublePressMs ?? 0;
      if (window <= 0) return ['share'];
      this.state = { kind: 'waiting', until: s.releasedAt + this.timing.debounceMs + window };
      return this.tick(now);
    }
    if (s.kind === 'waiting' && now >= s.until) {
      this.state = { kind: 'up' };
      return ['share'];
    }
    return [];
  }

  /** When tick() must next be called, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    const s = this.state;
    if (s.kind === 'down' && !s.longFired) return s.since + this.timing.longPressMs;
    if (s.kind === 'releasing') return s.releasedAt + this.timing.debounceMs;
    if (s.kind === 'waiting') return s.until;
    return undefined;
  }

  /** Forgets a press in progress (the device vanished mid-press: no action from it). */
  reset(): void {
    this.state = { kind: 'up' };
  }
}
