import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CodecLike } from './h264-codecs.js';
import type { LinkSecret } from './link-fragment.js';
import { WhepClient } from './whep-client.js';
import { enableHeaderExtensions } from './whep-negotiation.js';
import type { EventSourceLike, PeerLike, RequestInitLike, ResponseLike, TrackEventLike } from './whep-ports.js';

const TOKEN = 'q3Jx_8v-Zb1mK0pLr7sTwA';
const RESUME = 'R3sum3-s3cr3t_0123456789';
const RESUME_2 = 'R3sum3-s3cr3t_second-one';
const FP_HEX = '655d9ae79419f8d645e1ab6b45c938040ea718bd8d5fd84133797d4544f1b02d';
const FP_LINE = 'a=fingerprint:sha-256 65:5D:9A:E7:94:19:F8:D6:45:E1:AB:6B:45:C9:38:04:0E:A7:18:BD:8D:5F:D8:41:33:79:7D:45:44:F1:B0:2D';
const ANSWER = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 108', FP_LINE, 'a=sendonly', ''].join('\r\n');
/** A box with sound: the audio section answered sendonly (werift-viewer-factory.ts). */
const ANSWER_AV = `${ANSWER}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=sendonly\r\na=msid:sonobox a1\r\n`;
const OPUS: CodecLike = { mimeType: 'audio/opus', clockRate: 48000, sdpFmtpLine: 'minptime=10;useinbandfec=1' };
const AUDIO_CAPS: CodecLike[] = [OPUS, { mimeType: 'audio/PCMU', clockRate: 8000 }, { mimeType: 'audio/CN', clockRate: 8000 }];
const H264_CB = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f';
const CAPS: CodecLike[] = [
  { mimeType: 'video/VP8', clockRate: 90000 },
  { mimeType: 'video/H264', clockRate: 90000, sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f' },
  { mimeType: 'video/H264', clockRate: 90000, sdpFmtpLine: H264_CB },
];

class FakePeer implements PeerLike {
  iceGatheringState = 'new';
  iceConnectionState = 'new';
  connectionState = 'new';
  localDescription: { sdp: string } | null = null;
  codecPreferences: CodecLike[] | null = null;
  audioPreferences: CodecLike[] | null = null;
  kinds: string[] = [];
  remoteSdp: string | null = null;
  closed = false;
  private readonly listeners = new Map<string, Array<(event: never) => void>>();
  constructor(private readonly gatherMs: number | null) {}

  addTransceiver(kind: 'video' | 'audio'): { setCodecPreferences: (codecs: CodecLike[]) => void } {
    this.kinds.push(kind);
    return { setCodecPreferences: (codecs) => (kind === 'video' ? (this.codecPreferences = codecs) : (this.audioPreferences = codecs)) };
  }
  async createOffer(): Promise<{ type: 'offer'; sdp: string }> {
    return { type: 'offer', sdp: 'v=0\r\n(offer without candidates)\r\n' };
  }
  async setLocalDescription(d: { sdp?: string | undefined }): Promise<void> {
    this.localDescription = { sdp: d.sdp ?? '' };
    this.iceGatheringState = 'gathering';
    if (this.gatherMs === null) return; // gathering never finishes
    setTimeout(() => {
      this.iceGatheringState = 'complete';
      this.localDescription = { sdp: `${d.sdp}a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n` };
      this.emit('icegatheringstatechange');
    }, this.gatherMs);
  }
  async setRemoteDescription(d: { sdp: string }): Promise<void> {
    this.remoteSdp = d.sdp;
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, event: unknown = {}): void {
    for (const l of this.listeners.get(type) ?? []) l(event as never);
  }
  setIce(state: string): void {
    this.iceConnectionState = state;
    this.connectionState = state;
    this.emit('iceconnectionstatechange');
    this.emit('connectionstatechange');
  }
  close(): void {
    this.closed = true;
  }
}

class FakeEvents implements EventSourceLike {
  private readonly listeners: Array<(event: { readonly data: unknown }) => void> = [];
  closed = false;
  constructor(readonly url: string) {}
  addEventListener(_type: 'message', listener: (event: { readonly data: unknown }) => void): void {
    this.listeners.push(listener);
  }
  send(data: string): void {
    for (const l of this.listeners) l({ data });
  }
  close(): void {
    this.closed = true;
  }
}

function response(status: number, headers: Record<string, string> = {}, body = ''): ResponseLike {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, headers: { get: (n) => lower.get(n.toLowerCase()) ?? null }, text: async () => body };
}
const created = (id: string, resume: string | null = RESUME): ResponseLike =>
  response(201, { Location: `/whep/${id}`, ...(resume ? { 'X-Sonobox-Resume': resume } : {}) }, ANSWER);
const jsonError = (status: number, extra: Record<string, string> = {}): ResponseLike =>
  response(status, { 'Content-Type': 'application/json', ...extra }, JSON.stringify({ error: 'x', message: 'y' }));

function harness(opts: { link?: Partial<LinkSecret>; script: Array<ResponseLike | Error>; caps?: CodecLike[]; gatherMs?: number | null }) {
  const calls: Array<{ url: string; init: RequestInitLike }> = [];
  const peers: FakePeer[] = [];
  const sources: FakeEvents[] = [];
  const phases: string[] = [];
  const client = new WhepClient({
    link: { token: TOKEN, fingerprint: null, ...opts.link },
    fetch: async (url, init) => {
      calls.push({ url, init });
      const next = opts.script.shift();
      if (next === undefined) throw new Error('no scripted response left');
      if (next instanceof Error) throw next;
      return next;
    },
    createPeerConnection: () => {
      const peer = new FakePeer(opts.gatherMs === undefined ? 20 : opts.gatherMs);
      peers.push(peer);
      return peer;
    },
    videoCapabilities: () => ({ codecs: opts.caps ?? CAPS }),
    audioCapabilities: () => ({ codecs: AUDIO_CAPS }),
    createEventSource: (url) => {
      const source = new FakeEvents(url);
      sources.push(source);
      return source;
    },
    createStream: (tracks) => ({ wrapped: tracks.join('+') }),
    timers: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) },
    random: () => 0.5,
    now: () => Date.parse('2025-01-01T00:00:00Z'),
  });
  // Phase changes only, from the initial "connecting" (a new stream notifies too, with the
  // phase unchanged).
  let last = 'connecting';
  client.subscribe((s) => {
    const phase = s.reason ? `${s.phase}:${s.reason}` : s.phase;
    if (phase !== last) phases.push(phase);
    last = phase;
  });
  const posts = () => calls.filter((c) => c.init.method === 'POST');
  const lastPeer = (): FakePeer => {
    const p = peers.at(-1);
    if (!p) throw new Error('no peer yet');
    return p;
  };
  return { client, calls, posts, peers, lastPeer, sources, phases };
}

/** The current peer connects and its first frame is presented (what makes the page live). */
function play(h: ReturnType<typeof harness>): void {
  const peer = h.lastPeer();
  peer.emit('track', { track: `T${h.peers.length}`, streams: [] } satisfies TrackEventLike);
  peer.setIce('connected');
  h.client.frameDecoded(h.client.snapshot.stream);
}

/** Runs the client's timers and promise chains for `ms` of fake time. */
const run = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WhepClient: first connection', () => {
  it('POSTs the gathered offer with the token as a Bearer header, pins H.264 CB, goes live', async () => {
    const h = harness({ script: [created('abc')] });
    h.client.start();
    await run(100);
    const [post] = h.posts();
    expect(post?.url).toBe('/whep');
    expect(post?.init.headers).toEqual({ Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/sdp' });
    expect(post?.init.body).toContain('a=candidate:'); // non-trickle: sent after gathering
    expect(post?.init).toMatchObject({ credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' });
    expect(h.lastPeer().codecPreferences?.map((c) => c.sdpFmtpLine)).toEqual([H264_CB]);
    expect(h.lastPeer().remoteSdp).toBe(ANSWER);
    expect(h.sources.map((s) => s.url)).toEqual(['/whep/abc/events']);
    expect(h.client.snapshot.phase).toBe('connecting');

    h.lastPeer().emit('track', { track: 'T1', streams: [] } satisfies TrackEventLike);
    h.lastPeer().setIce('connected');
    // ICE (and DTLS) up is not Live: only a presented frame is.
    expect(h.client.snapshot.phase).toBe('connecting');
    h.client.frameDecoded({ wrapped: 'T1' }); // another stream's frame (a stale one) changes nothing
    expect(h.client.snapshot.phase).toBe('connecting');
    h.client.frameDecoded(h.client.snapshot.stream);
    expect(h.client.snapshot).toEqual({ phase: 'live', reason: null, stream: { wrapped: 'T1' }, audio: 'none' });
  });

  it('sends what it has when ICE gathering does not finish within 2 s', async () => {
    const h = harness({ script: [created('abc')], gatherMs: null });
    h.client.start();
    await run(1_900);
    expect(h.posts()).toHaveLength(0);
    await run(200);
    expect(h.posts()).toHaveLength(1);
  });

  it('403 on the first POST → link-invalid, peer closed, no retry', async () => {
    const h = harness({ script: [jsonError(403)] });
    h.client.start();
    await run(60_000);
    expect(h.phases).toEqual(['link-invalid']);
    expect(h.posts()).toHaveLength(1);
    expect(h.lastPeer().closed).toBe(true);
  });

  it('400 → error "rejected" without retrying', async () => {
    const h = harness({ script: [jsonError(400)] });
    h.client.start();
    await run(60_000);
    expect(h.phases).toEqual(['error:rejected']);
    expect(h.posts()).toHaveLength(1);
  });

  it('5xx is retried with back-off (0.5 s, then 1 s)', async () => {
    const h = harness({ script: [jsonError(503), jsonError(500), created('abc')] });
    h.client.start();
    await run(100);
    expect(h.posts()).toHaveLength(1);
    // POST 1 at t=20 ms (after gathering); 0.5 s back-off; POST 2 at 540 ms; 1 s; POST 3 at 1560 ms.
    await run(400);
    expect(h.posts()).toHaveLength(1);
    await run(100);
    expect(h.posts()).toHaveLength(2);
    await run(900);
    expect(h.posts()).toHaveLength(2);
    await run(100);
    expect(h.posts()).toHaveLength(3);
    expect(h.peers.slice(0, -1).every((p) => p.closed)).toBe(true);
    play(h);
    expect(h.client.snapshot.phase).toBe('live');
  });

  it('429 waits for Retry-After', async () => {
    const h = harness({ script: [jsonError(429, { 'Retry-After': '4' }), created('abc')] });
    h.client.start();
    await run(3_900);
    expect(h.posts()).toHaveLength(1);
    await run(300);
    expect(h.posts()).toHaveLength(2);
  });

  it('gives up with error "unreachable" after 8 failed attempts, and "Try again" starts over', async () => {
    const h = harness({ script: [...Array.from({ length: 8 }, () => new TypeError('Failed to fetch')), created('abc')] });
    h.client.start();
    await run(120_000);
    expect(h.posts()).toHaveLength(8);
    expect(h.phases).toEqual(['error:unreachable']);
    h.client.retry();
    await run(100);
    expect(h.posts()).toHaveLength(9);
    play(h);
    expect(h.phases).toEqual(['error:unreachable', 'connecting', 'live']);
  });

  it('refuses a browser without H.264 Constrained Baseline before any request', async () => {
    const h = harness({ script: [], caps: [{ mimeType: 'video/VP8', clockRate: 90000 }] });
    h.client.start();
    await run(1_000);
    expect(h.calls).toHaveLength(0);
    expect(h.phases).toEqual(['error:unsupported']);
  });
});

describe('WhepClient: link fingerprint', () => {
  it('applies the answer when the fingerprint matches', async () => {
    const h = harness({ link: { fingerprint: FP_HEX }, script: [created('abc')] });
    h.client.start();
    await run(100);
    expect(h.lastPeer().remoteSdp).toBe(ANSWER);
  });
  it('refuses the answer on mismatch, before setRemoteDescription', async () => {
    const h = harness({ link: { fingerprint: FP_HEX.replace(/^65/, '66') }, script: [created('abc')] });
    h.client.start();
    await run(100);
    expect(h.lastPeer().remoteSdp).toBeNull();
    expect(h.lastPeer().closed).toBe(true);
    expect(h.phases).toEqual(['error:fingerprint-mismatch']);
  });
});

async function liveClient(script: Array<ResponseLike | Error>) {
  const h = harness({ script: [created('abc'), ...script] });
  h.client.start();
  await run(100);
  play(h);
  expect(h.client.snapshot.phase).toBe('live');
  return h;
}

describe('WhepClient: after a network blip', () => {
  it('a short ICE disconnection (< 3 s) heals without a new offer', async () => {
    const h = await liveClient([]);
    h.lastPeer().setIce('disconnected');
    await run(2_500);
    h.lastPeer().setIce('connected');
    await run(10_000);
    expect(h.posts()).toHaveLength(1);
    expect(h.phases).toEqual(['live']);
  });

  it('disconnected > 3 s → reconnecting, re-offers with the resume secret, follows the new resource', async () => {
    const h = await liveClient([created('def', RESUME_2)]);
    const first = h.lastPeer();
    first.setIce('disconnected');
    await run(3_100);
    expect(h.client.snapshot.phase).toBe('reconnecting');
    expect(first.closed).toBe(true);
    await run(100);
    const resume = h.posts()[1];
    expect(resume?.url).toBe('/whep');
    expect(resume?.init.headers.Authorization).toBe(`Bearer ${RESUME}`);
    expect(h.sources.map((s) => [s.url, s.closed])).toEqual([
      ['/whep/abc/events', true],
      ['/whep/def/events', false],
    ]);
    h.lastPeer().setIce('connected');
    expect(h.client.snapshot.phase).toBe('reconnecting'); // the new connection has shown nothing yet
    play(h);
    expect(h.phases).toEqual(['live', 'reconnecting', 'live']);

    // The next resume uses the newest secret the box handed out.
    h.lastPeer().setIce('failed');
    await run(100);
    expect(h.posts()[2]?.init.headers.Authorization).toBe(`Bearer ${RESUME_2}`);
  });

  it('403 on resume → ended (the sonographer closed the session meanwhile)', async () => {
    const h = await liveClient([jsonError(403)]);
    h.lastPeer().setIce('failed');
    await run(60_000);
    expect(h.phases).toEqual(['live', 'reconnecting', 'ended']);
    expect(h.posts()).toHaveLength(2);
  });

  it('5xx on resume is retried', async () => {
    const h = await liveClient([jsonError(502), created('def')]);
    h.lastPeer().setIce('failed');
    await run(1_000);
    expect(h.posts()).toHaveLength(3);
    play(h);
    expect(h.phases).toEqual(['live', 'reconnecting', 'live']);
  });

  it('no resume secret from the box → error "lost" instead of a doomed retry', async () => {
    const h = harness({ script: [created('abc', null)] });
    h.client.start();
    await run(100);
    play(h);
    h.lastPeer().setIce('failed');
    await run(60_000);
    expect(h.phases).toEqual(['live', 'error:lost']);
    expect(h.posts()).toHaveLength(1);
  });

  it('media that never connects after the answer is re-offered after 15 s', async () => {
    const h = harness({ script: [created('abc'), created('def')] });
    h.client.start();
    await run(14_000);
    expect(h.posts()).toHaveLength(1);
    await run(1_200);
    expect(h.posts()).toHaveLength(2);
    expect(h.phases).toEqual(['reconnecting']);
  });
});

describe('WhepClient: Live means a picture', () => {
  it('ICE connected but DTLS never completes → error "secure-setup-failed" at 15 s, never live, no doomed re-offer', async () => {
    const h = harness({ script: [created('abc'), created('never')] });
    h.client.start();
    await run(100);
    const peer = h.lastPeer();
    peer.emit('track', { track: 'T1', streams: [] } satisfies TrackEventLike);
    peer.iceConnectionState = 'connected';
    peer.connectionState = 'connecting'; // ICE up, DTLS not (W3C webrtc-pc RTCPeerConnectionState)
    peer.emit('iceconnectionstatechange');
    await run(14_500);
    expect(h.client.snapshot.phase).toBe('connecting');
    await run(600);
    expect(h.phases).toEqual(['error:secure-setup-failed']);
    expect(h.posts()).toHaveLength(1);
    expect(peer.closed).toBe(true);
    // "Try again" is offered for this one: it resumes with a fresh offer.
    h.client.retry();
    await run(100);
    expect(h.posts()).toHaveLength(2);
  });

  it('DTLS connected but no frame presented → error "no-picture" at 15 s', async () => {
    const h = harness({ script: [created('abc')] });
    h.client.start();
    await run(100);
    h.lastPeer().emit('track', { track: 'T1', streams: [] } satisfies TrackEventLike);
    h.lastPeer().setIce('connected');
    await run(15_100);
    expect(h.phases).toEqual(['error:no-picture']);
  });

  it('a frame after the answer, before ICE even reports connected, is live (some engines report late)', async () => {
    const h = harness({ script: [created('abc')] });
    h.client.start();
    await run(100);
    h.lastPeer().emit('track', { track: 'T1', streams: [] } satisfies TrackEventLike);
    h.client.frameDecoded(h.client.snapshot.stream);
    expect(h.client.snapshot.phase).toBe('live');
    await run(20_000);
    expect(h.phases).toEqual(['live']); // the watchdog was cleared by the picture
  });

  it('asks the receiver for the smallest jitter buffer where the engine has jitterBufferTarget', async () => {
    const h = harness({ script: [created('abc')] });
    h.client.start();
    await run(100);
    const receiver = { jitterBufferTarget: null as number | null };
    h.lastPeer().emit('track', { track: 'T1', streams: [], receiver } satisfies TrackEventLike);
    expect(receiver.jitterBufferTarget).toBe(0);
    const old: { jitterBufferTarget?: number } = {};
    h.lastPeer().emit('track', { track: 'T2', streams: [], receiver: old } satisfies TrackEventLike);
    expect('jitterBufferTarget' in old).toBe(false); // not invented where the engine lacks it
  });
});

describe('WhepClient: session end and leaving', () => {
  it('SSE {"state":"ended"} → ended: closes the peer and the events, stops retrying', async () => {
    const h = await liveClient([]);
    const source = h.sources[0];
    source?.send('{"state":"live"}');
    expect(h.client.snapshot.phase).toBe('live');
    source?.send('{"state":"ended"}');
    expect(h.phases).toEqual(['live', 'ended']);
    expect(h.lastPeer().closed).toBe(true);
    expect(source?.closed).toBe(true);
    h.lastPeer().setIce('failed');
    await run(60_000);
    expect(h.posts()).toHaveLength(1);
  });

  it('a stale "ended" while ICE is disconnected is ignored; the resume decides', async () => {
    const h = await liveClient([created('def')]);
    const first = h.sources[0];
    h.lastPeer().setIce('disconnected');
    first?.send('{"state":"ended"}'); // EventSource reconnected to the forgotten viewer id
    expect(h.client.snapshot.phase).toBe('live');
    await run(3_200);
    expect(first?.closed).toBe(true);
    expect(h.posts()).toHaveLength(2);
    play(h);
    expect(h.phases).toEqual(['live', 'reconnecting', 'live']);
  });

  it('a session that ended during the blip ends at the resume (403), retries stop', async () => {
    const h = await liveClient([jsonError(503), jsonError(503), jsonError(403), created('never')]);
    h.lastPeer().setIce('failed');
    h.sources[0]?.send('{"state":"ended"}');
    await run(60_000);
    expect(h.posts()).toHaveLength(4);
    expect(h.phases).toEqual(['live', 'reconnecting', 'ended']);
  });

  it('ignores SSE data that is not the expected JSON', async () => {
    const h = await liveClient([]);
    h.sources[0]?.send('ended');
    h.sources[0]?.send('{"state":"paused"}');
    expect(h.client.snapshot.phase).toBe('live');
  });

  it('leave() DELETEs the resource with keepalive and the resume secret as Bearer', async () => {
    const h = await liveClient([response(200)]);
    h.client.leave();
    h.client.leave();
    const deletes = h.calls.filter((c) => c.init.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.url).toBe('/whep/abc');
    expect(deletes[0]?.init).toMatchObject({ keepalive: true, headers: { Authorization: `Bearer ${RESUME}` } });
    expect(h.lastPeer().closed).toBe(true);
  });
});

describe('WhepClient: secrets stay out of URLs', () => {
  it('neither the token nor any resume secret appears in a fetched or EventSource URL', async () => {
    const h = await liveClient([jsonError(503), created('def', RESUME_2), response(200)]);
    h.lastPeer().setIce('failed');
    await run(2_000);
    play(h);
    h.client.leave();
    const urls = [...h.calls.map((c) => c.url), ...h.sources.map((s) => s.url)];
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) {
      for (const secret of [TOKEN, RESUME, RESUME_2]) expect(url).not.toContain(secret);
    }
    // ...and they did travel, in the header.
    expect(h.calls.map((c) => c.init.headers.Authorization)).toEqual([
      `Bearer ${TOKEN}`,
      `Bearer ${RESUME}`,
      `Bearer ${RESUME}`,
      `Bearer ${RESUME_2}`,
    ]);
  });
});

describe('enableHeaderExtensions', () => {
  const P = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';
  const A = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time';
  const T = 'urn:ietf:params:rtp-hdrext:toffset';
  it.each([
    { name: 'Chromium 156 default: abs-capture-time stopped → turned on', list: [{ uri: P, direction: 'sendrecv' }, { uri: A, direction: 'stopped' }], want: [{ uri: P, direction: 'sendrecv' }, { uri: A, direction: 'sendrecv' }] },
    { name: 'already on: unchanged', list: [{ uri: A, direction: 'recvonly' }], want: [{ uri: A, direction: 'recvonly' }] },
    { name: 'other stopped extensions stay stopped', list: [{ uri: T, direction: 'stopped' }], want: [{ uri: T, direction: 'stopped' }] },
  ])('$name', ({ list, want }) => {
    expect(enableHeaderExtensions(list)).toEqual(want);
  });
});

describe('WhepClient: the sound', () => {
  const createdAv = (id: string): ResponseLike => response(201, { Location: `/whep/${id}`, 'X-Sonobox-Resume': RESUME }, ANSWER_AV);

  it('offers video first, then audio recvonly pinned to Opus alone', async () => {
    const h = harness({ script: [createdAv('abc')] });
    h.client.start();
    await run(100);
    expect(h.lastPeer().kinds).toEqual(['video', 'audio']);
    expect(h.lastPeer().audioPreferences).toEqual([OPUS]);
    expect(h.lastPeer().codecPreferences?.map((c) => c.sdpFmtpLine)).toEqual([H264_CB]);
  });

  it.each([
    ['an answer with audio sendonly', ANSWER_AV, 'on'],
    ['an answer with audio inactive', ANSWER.replace(/$/, 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=inactive\r\n'), 'none'],
    ['an answer without audio', ANSWER, 'none'],
  ])('%s: the sound is %s, before any event', async (_n, answer, audio) => {
    const h = harness({ script: [response(201, { Location: '/whep/abc', 'X-Sonobox-Resume': RESUME }, answer)] });
    expect(h.client.snapshot.audio).toBe('unknown');
    h.client.start();
    await run(100);
    expect(h.client.snapshot.audio).toBe(audio);
  });

  it('follows the box\'s event stream: muted at the box, back on, gone; a malformed event changes nothing', async () => {
    const h = harness({ script: [createdAv('abc')] });
    const seen: string[] = [];
    h.client.subscribe((s) => seen.at(-1) !== s.audio && seen.push(s.audio));
    h.client.start();
    await run(100);
    play(h);
    const events = h.sources[0]!;
    events.send('{"state":"live","audio":"on"}');
    events.send('{"state":"live","audio":"muted"}');
    events.send('{"state":"live","audio":"muted"}');
    events.send('{"state":"live","audio":"silly"}');
    events.send('not json');
    expect(h.client.snapshot.audio).toBe('muted');
    events.send('{"state":"live","audio":"on"}');
    events.send('{"state":"live","audio":"none"}');
    expect(seen).toEqual(['on', 'muted', 'on', 'none']);
    expect(h.client.snapshot.phase).toBe('live');
  });

  it('tracks that come without a stream (no a=msid) end up in one MediaStream', async () => {
    const h = harness({ script: [createdAv('abc')] });
    h.client.start();
    await run(100);
    h.lastPeer().emit('track', { track: 'V', streams: [] } satisfies TrackEventLike);
    h.lastPeer().emit('track', { track: 'A', streams: [] } satisfies TrackEventLike);
    expect(h.client.snapshot.stream).toEqual({ wrapped: 'V+A' });
    h.lastPeer().setIce('connected');
    h.client.frameDecoded(h.client.snapshot.stream);
    expect(h.client.snapshot.phase).toBe('live');
  });

  it('both tracks in the box\'s stream: the stream is the one they share', async () => {
    const h = harness({ script: [createdAv('abc')] });
    h.client.start();
    await run(100);
    const stream = { id: 'sonobox' };
    h.lastPeer().emit('track', { track: 'V', streams: [stream] } satisfies TrackEventLike);
    h.lastPeer().emit('track', { track: 'A', streams: [stream] } satisfies TrackEventLike);
    expect(h.client.snapshot.stream).toBe(stream);
  });
});
