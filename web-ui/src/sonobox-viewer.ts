/**
 * <sonobox-viewer>: the page a parent opens on their phone. A pure view: main.ts sets
 * `state`, `reason` and `stream` from the WhepClient; the element renders the video,
 * one status banner (aria-live), "Try again" and full screen, and fires `retry`. It also
 * fires `frame` (detail: the stream) once the first frame of each stream is presented,
 * the only thing that makes the page say Live; and, for a browser that cannot play the
 * video, offers to copy the unused link (`shareLink`) for another browser.
 *
 * It renders into light DOM, styled by /assets/viewer.css: under the page's CSP
 * (no 'unsafe-inline') a shadow root's <style> fallback is blocked, and iOS 15 has no
 * adoptedStyleSheets, so an external stylesheet is the one way that works everywhere.
 * Sound: the video always starts muted (browsers autoplay only muted); while the box shares
 * its sound (`audio` 'on') a large "Tap to hear the heartbeat" button unmutes it, inside
 * the tap (iOS allows sound only from a gesture), and a small one mutes it again; a line
 * says when the sonographer muted it at the box or when there is no sound.
 * For tests: attributes `state`, `reason` and `audio` on the element, `#video`, `#status`,
 * `#retry`, `#fullscreen`, `#play`, `#hear`, `#mute`, `#audio-note`, `#copy-link`, `#link-text`.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { MESSAGES, statusText, type Messages } from './messages.js';
import type { BoxAudio } from './box-audio.js';
import type { ErrorReason, ViewerPhase } from './viewer-state.js';

/** iOS Safari: no element fullscreen on iPhone, only the video's own player. */
type WebkitVideo = HTMLVideoElement & { webkitEnterFullscreen?: () => void };
type WebkitElement = HTMLElement & { webkitRequestFullscreen?: () => void };
type WebkitDocument = Document & {
  webkitFullscreenElement?: Element | null;
  webkitFullscreenEnabled?: boolean;
  webkitExitFullscreen?: () => void;
};

/** Reasons where trying again can help; the others need a person. */
const RETRYABLE: ReadonlySet<ErrorReason> = new Set(['rejected', 'unreachable', 'secure-setup-failed']);

/** The slice of HTMLVideoElement.requestVideoFrameCallback used (Safari 15.4, Firefox 132, Chrome 83). */
type FrameCallbackVideo = HTMLVideoElement & { requestVideoFrameCallback?: (callback: () => void) => number };

export class SonoboxViewer extends LitElement {
  static override properties = {
    state: { type: String, reflect: true },
    reason: { type: String, reflect: true },
    audio: { type: String, reflect: true },
    listening: { state: true },
    lang: { type: String },
    stream: { attribute: false },
    shareLink: { attribute: false },
    needsTap: { state: true },
    fullscreen: { state: true },
    copyState: { state: true },
  };

  declare state: ViewerPhase;
  declare reason: ErrorReason | null;
  declare stream: MediaStream | null;
  /** The box's sound (box-audio.ts). */
  declare audio: BoxAudio;
  /** The parent turned the sound on (the video element is unmuted). */
  declare listening: boolean;
  /** The link, unused, for the parent to open elsewhere (shown with `unsupported`). */
  declare shareLink: string | null;
  declare copyState: 'idle' | 'copied' | 'manual';
  declare needsTap: boolean;
  declare fullscreen: boolean;
  private wakeLock: WakeLockSentinel | null = null;
  private readonly onFullscreenChange = (): void => {
    const doc = document as WebkitDocument;
    this.fullscreen = Boolean(document.fullscreenElement ?? doc.webkitFullscreenElement);
  };
  private readonly onVisibility = (): void => void this.syncWakeLock();

  constructor() {
    super();
    this.state = 'connecting';
    this.reason = null;
    this.stream = null;
    this.audio = 'unknown';
    this.listening = false;
    this.shareLink = null;
    this.copyState = 'idle';
    this.needsTap = false;
    this.fullscreen = false;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('fullscreenchange', this.onFullscreenChange);
    document.addEventListener('webkitfullscreenchange', this.onFullscreenChange);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('fullscreenchange', this.onFullscreenChange);
    document.removeEventListener('webkitfullscreenchange', this.onFullscreenChange);
    document.removeEventListener('visibilitychange', this.onVisibility);
    void this.wakeLock?.release().catch(() => undefined);
  }

  private get messages(): Messages {
    return MESSAGES[this.lang === 'fr' ? 'fr' : 'en'];
  }

  private get video(): WebkitVideo | null {
    return this.querySelector('video');
  }

  override render() {
    const m = this.messages;
    const text = statusText(m, this.state, this.reason);
    const busy = this.state === 'connecting' || this.state === 'reconnecting';
    const canRetry = this.state === 'error' && this.reason !== null && RETRYABLE.has(this.reason);
    const canCopy = this.state === 'error' && this.reason === 'unsupported' && this.shareLink !== null;
    return html`
      <video id="video" muted autoplay playsinline disablepictureinpicture aria-label=${m.videoLabel}></video>
      <div id="status" class="status" role="status" aria-live="polite" aria-busy=${busy ? 'true' : 'false'}>
        ${busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}
        ${this.state === 'live' ? html`<span class="live-dot" aria-hidden="true"></span>` : nothing}
        <p class="status-title">${text.title}</p>
        ${text.detail ? html`<p class="status-detail">${text.detail}</p>` : nothing}
        ${canRetry ? html`<button id="retry" type="button" @click=${this.onRetry}>${m.tryAgain}</button>` : nothing}
        ${canCopy
          ? html`<button id="copy-link" type="button" @click=${this.onCopy}>${m.copyLink}</button>
              ${this.copyState === 'idle' ? nothing : html`<p class="status-detail copy-result">${this.copyState === 'copied' ? m.linkCopied : m.copyByHand}</p>`}
              <input id="link-text" class="link-text" type="text" readonly .value=${this.shareLink} aria-label=${m.copyLink} @focus=${this.selectLink} />`
          : nothing}
      </div>
      ${this.needsTap && this.state === 'live'
        ? html`<button id="play" type="button" @click=${this.onPlay}>${m.tapToPlay}</button>`
        : nothing}
      ${this.renderSound()}
      ${this.canFullscreen()
        ? html`<button
            id="fullscreen"
            type="button"
            aria-label=${this.fullscreen ? m.exitFullscreen : m.enterFullscreen}
            aria-pressed=${this.fullscreen ? 'true' : 'false'}
            @click=${this.toggleFullscreen}
          >
            <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
              <path
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                stroke-linecap="round"
                d=${this.fullscreen
                  ? 'M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5'
                  : 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5'}
              />
            </svg>
          </button>`
        : nothing}
    `;
  }

  /** The sound controls while live: tap to hear, mute again, or why there is none. */
  private renderSound() {
    if (this.state !== 'live') return nothing;
    const m = this.messages;
    if (this.audio === 'on' && !this.listening && !this.needsTap) {
      return html`<button id="hear" type="button" @click=${this.onHear}>
        <svg viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M4 9v6h4l5 4V5L8 9H4z" />
          <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" />
        </svg>
        <span>${m.tapToHear}</span>
      </button>`;
    }
    if (this.audio === 'on') {
      return html`<button id="mute" type="button" aria-label=${m.muteSound} @click=${this.onMute}>
        <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M4 9v6h4l5 4V5L8 9H4z" />
          <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M16 8.5a5 5 0 0 1 0 7" />
        </svg>
      </button>`;
    }
    if (this.audio === 'muted' || this.audio === 'none') {
      return html`<p id="audio-note" class="audio-note" role="status">${this.audio === 'muted' ? m.soundMutedAtBox : m.noSound}</p>`;
    }
    return nothing;
  }

  /** Sound on, inside the parent's tap: the one moment every browser lets a page play sound. */
  private readonly onHear = (): void => {
    const video = this.video;
    if (!video) return;
    video.muted = false;
    video.volume = 1;
    this.listening = true;
    video.play().catch(() => {
      // Refused after all: back to the muted picture and the button.
      video.muted = true;
      this.listening = false;
      this.play();
    });
  };

  private readonly onMute = (): void => {
    const video = this.video;
    if (video) video.muted = true;
    this.listening = false;
  };

  protected override firstUpdated(): void {
    const video = this.video;
    if (!video) return;
    // The attributes are in the template; the properties too, because muted autoplay inline
    // is what iOS Safari and Chrome allow without a tap, and a cloned template's muted
    // attribute is not always reflected as the property.
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const video = this.video;
    if (video && changed.has('stream') && video.srcObject !== this.stream) {
      video.srcObject = this.stream;
      if (this.stream) {
        this.watchFirstFrame(video, this.stream);
        this.play();
      }
    }
    if (changed.has('state')) {
      if (this.state !== 'live' && this.state !== 'reconnecting' && this.state !== 'connecting' && video) {
        video.srcObject = null; // nothing more will come; show the plain dark stage
      }
      void this.syncWakeLock();
    }
  }

  private play(): void {
    const video = this.video;
    if (!video) return;
    // Muted inline autoplay is allowed on phones, except e.g. iOS Low Power Mode: then
    // the parent taps once.
    video.play().then(
      () => (this.needsTap = false),
      () => (this.needsTap = true),
    );
  }

  /**
   * Fires `frame` once `stream` has a frame on screen: requestVideoFrameCallback where it
   * exists, else the first `loadeddata` (a frame is available) or `timeupdate` past 0.
   */
  private watchFirstFrame(video: FrameCallbackVideo, stream: MediaStream): void {
    const report = (): void => {
      if (video.srcObject !== stream) return; // a newer stream replaced it
      this.dispatchEvent(new CustomEvent('frame', { detail: stream, bubbles: true, composed: true }));
    };
    if (typeof video.requestVideoFrameCallback === 'function') {
      video.requestVideoFrameCallback(report);
      return;
    }
    const check = (): void => {
      if (video.srcObject !== stream) return done();
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA || video.currentTime > 0) {
        done();
        report();
      }
    };
    const done = (): void => {
      video.removeEventListener('loadeddata', check);
      video.removeEventListener('timeupdate', check);
    };
    video.addEventListener('loadeddata', check);
    video.addEventListener('timeupdate', check);
  }

  /**
   * Copies the link for another browser. The Clipboard API needs a secure context, which a
   * box on plain HTTP is not: then execCommand('copy') on the selected field, and if that is
   * refused too, the parent copies the selected field by hand.
   */
  private readonly onCopy = async (): Promise<void> => {
    const link = this.shareLink;
    if (link === null) return;
    try {
      await navigator.clipboard.writeText(link);
      this.copyState = 'copied';
      return;
    } catch {
      // no Clipboard API here, or not allowed
    }
    const field = this.querySelector<HTMLInputElement>('#link-text');
    field?.focus();
    field?.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    this.copyState = copied ? 'copied' : 'manual';
  };

  private readonly selectLink = (event: Event): void => (event.target as HTMLInputElement).select();

  private readonly onPlay = (): void => this.play();

  private readonly onRetry = (): void => {
    this.dispatchEvent(new CustomEvent('retry', { bubbles: true, composed: true }));
  };

  private canFullscreen(): boolean {
    const doc = document as WebkitDocument;
    return Boolean(
      document.fullscreenEnabled || doc.webkitFullscreenEnabled || 'webkitEnterFullscreen' in HTMLVideoElement.prototype,
    );
  }

  private readonly toggleFullscreen = (): void => {
    const doc = document as WebkitDocument;
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => undefined);
      return;
    }
    if (doc.webkitFullscreenElement) {
      doc.webkitExitFullscreen?.();
      return;
    }
    // The whole element goes full screen so the status banner stays visible over the video.
    const self = this as WebkitElement;
    if (document.fullscreenEnabled && self.requestFullscreen) {
      self.requestFullscreen({ navigationUI: 'hide' }).then(
        () => this.lockLandscape(),
        () => this.video?.webkitEnterFullscreen?.(),
      );
    } else if (doc.webkitFullscreenEnabled && self.webkitRequestFullscreen) {
      self.webkitRequestFullscreen();
    } else {
      this.video?.webkitEnterFullscreen?.(); // iPhone
    }
  };

  /** Scanners output landscape video; turning the phone is optional, so failures are fine. */
  private lockLandscape(): void {
    const orientation = screen.orientation as ScreenOrientation & { lock?: (o: string) => Promise<void> };
    orientation?.lock?.('landscape').catch(() => undefined);
  }

  /** Keeps the phone screen on while the scan is live (Screen Wake Lock API). */
  private async syncWakeLock(): Promise<void> {
    const want = this.state === 'live' && document.visibilityState === 'visible';
    if (want && this.wakeLock === null && 'wakeLock' in navigator) {
      try {
        this.wakeLock = await navigator.wakeLock.request('screen');
        this.wakeLock.addEventListener('release', () => (this.wakeLock = null));
      } catch {
        // Not allowed (battery saver, permissions policy): the screen may dim, nothing worse.
      }
    } else if (!want && this.wakeLock !== null) {
      const lock = this.wakeLock;
      this.wakeLock = null;
      await lock.release().catch(() => undefined);
    }
  }
}

customElements.define('sonobox-viewer', SonoboxViewer);

declare global {
  interface HTMLElementTagNameMap {
    'sonobox-viewer': SonoboxViewer;
  }
}
