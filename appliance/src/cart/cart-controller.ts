import type { AudioShare } from '../audio/audio-share.js';
import type { SourceCondition } from '../media/source-condition.js';
import type { ButtonAction } from './button.js';
import type { CartEffect, CartEvent, CartLimits, CartState } from './cart-lifecycle.js';
import { defaultCartLimits, idleCart, screenFor, transition } from './cart-lifecycle.js';
import type { CartSessions } from './cart-sessions.js';
import type { Button } from './evdev-button.js';
import type { Display } from './framebuffer-display.js';
import type { Language } from './messages.js';
import type { WifiJoin } from '../network/network-mode.js';
import { withWifiJoin } from './join-wifi.js';
import { renderScreen } from './screens.js';
import type { Logger } from '../system/logger.js';

export interface CartControllerOptions {
  readonly display: Display;
  /** Optional: the controller also accepts presses through press(). */
  readonly button?: Button;
  readonly sessions: CartSessions;
  readonly language: Language;
  readonly limits?: CartLimits;
  /** Monotonic ms; injectable for tests. */
  readonly now?: () => number;
  /** How often timeouts are checked and the elapsed time redrawn, ms. */
  readonly tickMs?: number;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
  /** A settings-file problem to show while the cart is idle (config-file.ts problemSummary). */
  readonly configProblem?: string;
  /** mask.preset is "none": every session's QR screen says the mask is off. */
  readonly maskOff?: boolean;
  /** Hotspot mode: show the WIFI: code before the link until the phone has joined. */
  readonly wifi?: WifiJoin;
  /** The button's two quick presses: mute or unmute the sound for everyone (AudioPipeline). */
  readonly onMuteGesture?: () => void;
}

/**
 * CartController glues the button, the session manager, the capture condition and the
 * display around the pure lifecycle: every input becomes a CartEvent, every effect is
 * carried out here, and the screen is redrawn (one copy) only when what it shows changed.
 */
export class CartController {
  #state: CartState = idleCart;
  #condition: SourceCondition = 'no-signal';
  #sound: AudioShare = 'none';
  #shown = '';
  #ticker: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #opts: CartControllerOptions;
  readonly #now: () => number;
  readonly #limits: CartLimits;

  constructor(options: CartControllerOptions) {
    this.#opts = options;
    this.#now = options.now ?? (() => performance.now());
    this.#limits = options.limits ?? defaultCartLimits;
  }

  /** Subscribes to the session manager and the button, and draws the first screen. */
  start(): void {
    const offSessions = this.#opts.sessions.onChange((counts) => this.dispatch({ type: 'session-changed', counts }));
    const offWifi = this.#opts.wifi?.onChange(() => this.#render());
    this.#unsubscribe = () => {
      offSessions();
      offWifi?.();
    };
    this.#opts.button?.start((a) => this.press(a));
    const counts = this.#opts.sessions.counts();
    if (counts.active) this.dispatch({ type: 'session-changed', counts });
    this.#ticker = setInterval(() => this.dispatch({ type: 'tick' }), this.#opts.tickMs ?? 1000);
    this.#ticker.unref();
    this.#render();
  }

  /** Stops listening and timing; the screen keeps its last picture. */
  stop(): void {
    clearInterval(this.#ticker);
    this.#unsubscribe?.();
    this.#opts.button?.stop();
  }

  /** A button action, from the Button or from elsewhere (dev tools). */
  press(action: ButtonAction): void {
    if (action === 'mute') {
      this.#opts.log?.info('Cart: two quick presses (mute or unmute the sound)');
      this.#opts.onMuteGesture?.();
      return;
    }
    this.dispatch({ type: action === 'share' ? 'short-press' : 'long-press' });
  }

  /** Feed this from the AudioPipeline: the watching screen says whether sound is shared or muted. */
  setSound(share: AudioShare): void {
    this.#sound = share;
    this.#render();
  }

  /** Feed this from the capture pipeline's FrameSink.onCondition. */
  setSourceCondition(condition: SourceCondition): void {
    this.#condition = condition;
    this.#render();
  }

  get state(): CartState {
    return this.#state;
  }

  /** Runs one event through the lifecycle, carries out its effects, redraws if needed. */
  dispatch(event: CartEvent): void {
    const r = transition(this.#state, event, this.#now(), this.#limits);
    this.#state = r.state;
    for (const effect of r.effects) this.#carryOut(effect);
    this.#render();
  }

  #carryOut(effect: CartEffect): void {
    const s = this.#opts.sessions;
    switch (effect.type) {
      case 'issue-link': {
        const r = s.issueLink();
        this.dispatch(r.ok ? { type: 'link-issued', link: r.link, code: r.code, counts: s.counts() } : { type: 'link-refused' });
        break;
      }
      case 'end-session':
        this.#opts.log?.info(`Cart: ending the session (${effect.reason})`);
        s.end(effect.reason).catch((err: unknown) => this.#opts.log?.warn(`Ending the session failed: ${String(err)}`));
        break;
      case 'clear-session':
        s.clear();
        break;
    }
  }

  #render(): void {
    const wifi = this.#opts.wifi;
    const shown = screenFor(this.#state, this.#condition, this.#now(), this.#opts.configProblem, this.#opts.maskOff);
    const withSound = shown.screen === 'watching' && this.#sound !== 'none' ? { ...shown, sound: this.#sound } : shown;
    const screen = withWifiJoin(withSound, this.#state, wifi?.current(), wifi?.stations() ?? 0);
    // Compare what would be drawn (elapsed time at second resolution) to skip identical frames.
    const key = JSON.stringify(screen.screen === 'watching' ? { ...screen, elapsedMs: Math.floor(screen.elapsedMs / 1000) } : screen);
    if (key === this.#shown) return;
    this.#shown = key;
    this.#opts.display.show(renderScreen(screen, this.#opts.display.geometry, this.#opts.language));
  }
}
