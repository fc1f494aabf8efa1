/**
 * A ViewerFactory twin for signalling tests: no media, no network. It keeps the contract
 * (OfferRejected before any resource, answer after an async delay, close idempotent and
 * onClosed fired once) and records what happened to every viewer it made.
 */
import { randomBytes } from 'node:crypto';
import {
  OfferRejected,
  ViewerState,
  type PendingViewer,
  type ViewerConnection,
  type ViewerFactory,
} from '../../webrtc/viewer-connection.js';

export class FakeViewer implements ViewerConnection {
  readonly id = randomBytes(16).toString('base64url');
  state: ViewerState = ViewerState.connecting;
  attached = false;
  closeReason: string | null = null;
  /** What the resume guard reads: set it to pretend the phone was heard (performance.now() ms). */
  heardAt: number | null = null;
  readonly #listeners: ((reason: string) => void)[] = [];

  lastAuthenticatedRtcpAt(): number | null {
    return this.heardAt;
  }

  onClosed(listener: (reason: string) => void): void {
    this.#listeners.push(listener);
  }

  async close(reason: string): Promise<void> {
    this.drop(reason);
  }

  /** The connection ends by itself (ICE failure, phone walked away). */
  drop(reason: string): void {
    if (this.state === ViewerState.closed) return;
    this.state = ViewerState.closed;
    this.closeReason = reason;
    for (const l of this.#listeners) l(reason);
  }
}

/** A minimal recvonly offer, enough for the fake's checks. */
export const sampleOffer = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 102', 'a=recvonly', 'a=rtpmap:102 H264/90000', ''].join('\r\n');

export class FakeViewerFactory implements ViewerFactory {
  readonly made: FakeViewer[] = [];
  /** Delay before the answer resolves; replace to randomise. */
  delay: () => Promise<void> = async () => {};

  async answer(offerSdp: string): Promise<PendingViewer> {
    if (!offerSdp.startsWith('v=0')) throw new OfferRejected('SDP offer does not start with v=0');
    if (!/^m=video /m.test(offerSdp)) throw new OfferRejected('SDP offer has no video m-section');
    await this.delay();
    const connection = new FakeViewer();
    this.made.push(connection);
    return {
      answerSdp: `v=0\r\no=- 9 2 IN IP4 127.0.0.1\r\ns=fake answer ${connection.id}\r\n`,
      connection,
      attach: () => {
        connection.attached = true;
        connection.state = ViewerState.connected;
      },
    };
  }
}

/** A clock the test moves by hand; timers fire when their time is passed. */
export class FakeClock {
  #now = 1_000;
  #timers: { at: number; fn: () => void; live: boolean }[] = [];

  now = (): number => this.#now;

  schedule = (fn: () => void, ms: number): (() => void) => {
    const t = { at: this.#now + ms, fn, live: true };
    this.#timers.push(t);
    return () => {
      t.live = false;
    };
  };

  advance(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.live && t.at <= this.#now);
    this.#timers = this.#timers.filter((t) => t.live && t.at > this.#now);
    for (const t of due) t.fn();
  }
}
