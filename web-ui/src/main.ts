/**
 * The viewer page's entry point (bundled to /assets/viewer.js): wires the browser's
 * WebRTC, fetch and randomness into a WhepClient and its snapshots into
 * <sonobox-viewer>. For end-to-end tests the phase is mirrored on
 * `document.body.dataset.state` (and `.reason` in error), the box's sound on `.audio`.
 */
import { fragment } from './capture-fragment.js'; // must stay the first import
import { canReceiveBoxVideo } from './h264-codecs.js';
import { linkUrl } from './link-fragment.js';
import { SonoboxViewer } from './sonobox-viewer.js';
import { MESSAGES, pickLanguage } from './messages.js';
import { boxBase } from './request-proof.js';
import { WhepClient, type ViewerSnapshot } from './whep-client.js';
import type { PeerLike } from './whep-ports.js';

const lang = pickLanguage(navigator.language);
document.documentElement.lang = lang;
document.title = MESSAGES[lang].pageTitle;

const viewer: SonoboxViewer =
  document.querySelector('sonobox-viewer') ?? document.body.appendChild(new SonoboxViewer());
viewer.lang = lang;

function show(snapshot: ViewerSnapshot): void {
  viewer.state = snapshot.phase;
  viewer.reason = snapshot.reason;
  viewer.stream = (snapshot.stream as MediaStream | null) ?? null;
  viewer.audio = snapshot.audio;
  document.body.dataset.state = snapshot.phase;
  document.body.dataset.audio = snapshot.audio;
  if (snapshot.reason) document.body.dataset.reason = snapshot.reason;
  else delete document.body.dataset.reason;
}

function start(): void {
  if (!fragment.ok) {
    show({ phase: 'link-invalid', reason: null, stream: null, audio: 'unknown' });
    return;
  }
  // Before anything is sent: a browser that cannot play H.264 Constrained Baseline (Firefox
  // without its OpenH264 plugin, a missing getCapabilities) is told so and keeps the link
  // unused, to open in another browser.
  const capabilities = typeof RTCRtpReceiver === 'undefined' ? null : RTCRtpReceiver.getCapabilities?.('video');
  if (typeof RTCPeerConnection === 'undefined' || !canReceiveBoxVideo(capabilities)) {
    viewer.shareLink = linkUrl(location.origin + location.pathname, fragment.link);
    show({ phase: 'error', reason: 'unsupported', stream: null, audio: 'unknown' });
    return;
  }
  const client = new WhepClient({
    link: fragment.link,
    base: boxBase(location),
    fetch: (url, init) => fetch(url, init),
    // getRandomValues, unlike crypto.subtle, exists on plain-HTTP pages too.
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
    // No iceServers: the box is on the same network, and no third party hears of us.
    createPeerConnection: () => new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' }) as PeerLike,
    videoCapabilities: () => RTCRtpReceiver.getCapabilities?.('video') ?? null,
    audioCapabilities: () => RTCRtpReceiver.getCapabilities?.('audio') ?? null,
    createStream: (tracks) => new MediaStream(tracks as MediaStreamTrack[]),
    timers: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) },
  });
  client.subscribe(show);
  show(client.snapshot);
  viewer.addEventListener('retry', () => client.retry());
  viewer.addEventListener('frame', (event) => client.frameDecoded((event as CustomEvent<MediaStream>).detail));
  addEventListener('pagehide', () => client.leave());
  client.start();
}

start();
