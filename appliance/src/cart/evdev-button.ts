import { closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import type { ButtonAction, PressTiming } from './button.js';
import { defaultPressTiming, PressClassifier } from './button.js';
import { EV_KEY, InputEventParser, keyCodes } from './evdev.js';
import type { Logger } from '../system/logger.js';

/**
 * Button is the cart's one control: it reports 'share' (short press) and 'end' (long
 * press). The evdev implementation reads a Linux input device; the terminal one maps
 * keys in dev mode.
 */
export interface Button {
  readonly description: string;
  start(onAction: (action: ButtonAction) => void): void;
  stop(): void;
}

/** Where the cart button is read from, and which key it sends. */
export interface EvdevButtonOptions {
  /** The udev name sonobox gives the button (udev rule: SYMLINK+="sonobox/button"). */
  readonly path: string;
  /**
   * EV_KEY code to react to; others are ignored. Default KEY_ENTER (28): what USB foot
   * pedals and one-key keypads send out of the box; a gpio-keys button in the device tree
   * should declare `linux,code = <28>` too (or set cart.buttonKeyCode).
   */
  readonly keyCode?: number;
  readonly timing?: PressTiming;
  /** How often to look for the device while it is missing, ms. */
  readonly retryMs?: number;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
  /** Monotonic ms; injectable for tests. */
  readonly now?: () => number;
}

export const defaultButtonDevice = '/dev/sonobox/button';
/** How often the button node is read; a press lasts far longer (debounce is 30 ms). */
const POLL_MS = 20;
export const defaultButtonKeyCode = keyCodes.KEY_ENTER;

/**
 * EvdevButton reads struct input_event records from a device node (or, in tests, a FIFO
 * receiving the same bytes). When the node disappears (USB unplug: ENODEV, or ENOENT on
 * open) or the stream ends (the FIFO writer closed), it waits for the node and reopens;
 * a press in progress at that moment is dropped, never turned into an action.
 *
 * The node is opened non-blocking and polled from a timer rather than read through a
 * stream: a stream parks a blocking read() on libuv's thread pool until the next key
 * event, and process.exit() then waits for that thread forever, so the service could
 * not stop (systemd had to SIGKILL it after TimeoutStopSec). Polling every POLL_MS costs
 * one read(2) returning EAGAIN, well inside the debounce time.
 */
export class EvdevButton implements Button {
  readonly description: string;
  private readonly parser = new InputEventParser();
  private readonly classifier: PressClassifier;
  private readonly keyCode: number;
  private readonly now: () => number;
  private fd: number | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly chunk = Buffer.alloc(24 * 64);
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = true;
  private missingReported = false;
  private onAction: (a: ButtonAction) => void = () => {};

  constructor(private readonly opts: EvdevButtonOptions) {
    this.keyCode = opts.keyCode ?? defaultButtonKeyCode;
    this.classifier = new PressClassifier(opts.timing ?? defaultPressTiming);
    this.now = opts.now ?? (() => performance.now());
    this.description = `button ${opts.path} (key code ${this.keyCode})`;
  }

  start(onAction: (action: ButtonAction) => void): void {
    this.onAction = onAction;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    this.close();
  }

  private open(): void {
    if (this.stopped) return;
    if (!existsSync(this.opts.path)) return this.waitForDevice();
    try {
      this.fd = openSync(this.opts.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return this.waitForDevice();
    }
    if (this.missingReported) this.opts.log?.info(`Button ${this.opts.path} is back`);
    this.missingReported = false;
    this.poll();
  }

  /** Reads whatever events are queued, then looks again in POLL_MS. */
  private poll(): void {
    if (this.fd === undefined || this.stopped) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        return this.lost(); // ENODEV: unplugged
      }
      if (n === 0) return this.lost(); // end of file: a FIFO's writer went away
      this.onBytes(Buffer.from(this.chunk.subarray(0, n)));
    }
    this.poller = setTimeout(() => this.poll(), POLL_MS);
    this.poller.unref();
  }

  private close(): void {
    clearTimeout(this.poller);
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already gone with the device */
      }
    }
    this.fd = undefined;
  }

  private lost(): void {
    this.close();
    this.parser.reset();
    this.classifier.reset();
    clearTimeout(this.timer);
    this.waitForDevice();
  }

  private waitForDevice(): void {
    if (this.stopped) return;
    if (!this.missingReported) {
      this.opts.log?.warn(`Button ${this.opts.path} is missing or was unplugged; waiting for it to return`);
      this.missingReported = true;
    }
    this.retry = setTimeout(() => this.open(), this.opts.retryMs ?? 500);
    this.retry.unref();
  }

  private onBytes(chunk: Buffer): void {
    for (const e of this.parser.processInput(chunk)) {
      if (e.type === EV_KEY && e.code === this.keyCode) this.emit(this.classifier.processInput(e.value, this.now()));
    }
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = this.classifier.nextDeadline();
    if (at === undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.emit(this.classifier.tick(this.now()));
      this.arm();
    }, Math.max(0, at - this.now()));
  }

  private emit(actions: ButtonAction[]): void {
    for (const a of actions) this.onAction(a);
  }
}

/**
 * TerminalButton is the dev-mode button: in a terminal, space or Enter is a short press
 * and `e` a long press. Ctrl-C still interrupts. Does nothing when stdin is not a TTY.
 */
export class TerminalButton implements Button {
  readonly description = 'terminal keys (space: share, e: end, m: mute the sound)';
  private listener: ((data: Buffer) => void) | undefined;

  constructor(private readonly input: NodeJS.ReadStream = process.stdin) {}

  start(onAction: (action: ButtonAction) => void): void {
    if (!this.input.isTTY) return;
    this.input.setRawMode(true);
    this.input.resume();
    this.listener = (data) => {
      for (const ch of data.toString('utf8')) {
        if (ch === ' ' || ch === '\r') onAction('share');
        else if (ch === 'e' || ch === 'E') onAction('end');
        else if (ch === 'm' || ch === 'M') onAction('mute');
        else if (ch === '\u0003') process.kill(process.pid, 'SIGINT');
      }
    };
    this.input.on('data', this.listener);
  }

  stop(): void {
    if (!this.listener) return;
    this.input.off('data', this.listener);
    this.listener = undefined;
    this.input.setRawMode(false);
    this.input.pause();
  }
}
