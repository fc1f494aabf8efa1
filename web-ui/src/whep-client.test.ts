import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CodecLike } from './h264-codecs.js';
import type { LinkSecret } from './link-fragment.js';
import { WhepClient } from './whep-client.js';
import { enableHeaderExtensions } from './whep-negotiation.js';
import type { PeerLike, RequestInitLike, ResponseLike, StreamReaderLike, TrackEventLike } from './whep-ports.js';
import { parseProof } from '../../appliance/src/credentials/wire-format.js';
import { toBase64url } from './crypto/bytes.js';
import { FakeBoxKeys, type Answer } from './test/fake-box.js';

const TOKEN = toBase64url(new Uint8Array(32).fill(7));
/** The box as the page addresses it (boxBase of the page's location). */
const BASE = 'http://192.168.1.20:8080';
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

/** A signed event stream as fetch's body: what the box writes, chunk by chunk. */
class FakeStream {
  cancelled = false;
  private seq = 0;
  private readonly queue: Uint8Array[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  constructor(readonly url: string, readonly requestN: number, private readonly box: FakeBoxKeys) {}
  /** An event as the box signs it. */
  send(data: string): void {
    this.push(this.box.event(this.requestN, this.seq++, data));
  }
  /** Raw text on the stream (a heartbeat, something injected). */
  push(text: string): void {
    this.queue.push(new TextEncoder().encode(text));
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  reader(): StreamReaderLike {
    return {
      read: async () => {
        while (this.queue.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
        const value = this.queue.shift();
        return value === undefined ? { done: true } : { done: false, value };
      },
      cancel: async () => {
        this.cancelled = true;
        this.end();
      },
    };
  }
}

function response(status: number, headers: Record<string, string> = {}, body = '', stream: FakeStream | null = null): ResponseLike {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, headers: { get: (n) => lower.get(n.toLowerCase()) ?? null }, text: async () => body, body: stream ? { getReader: () => stream.reader() } : null };
}

/** What the fake box answers a POST with: signed by it unless `unsigned` (a refusal, a forgery). */
type Scripted = (Answer & { readonly unsigned?: boolean }) | Error;
const created = (id: string, body = ANSWER): Scripted => ({ status: 201, location: `/whep/${id}`, body });
const jsonError = (status: number, extra: Record<string, string> = {}): Scripted => ({
  status,
  headers: { 'Content-Type': 'application/json', ...extra },
  body: JSON.stringify({ error: 'x', message: 'y' }),
  // The box's refusals are one unsigned answer; a proxy's 5xx is not the box's either.
  unsigned: status === 403 || status >= 500,
});

function harness(opts: { link?: Partial<LinkSecret>; script: Scripted[]; caps?: CodecLike[]; gatherMs?: number | null; eventsStatus?: number; swapAnswer?: (sdp: string) => string }) {
  const box = new FakeBoxKeys(TOKEN, BASE);
  const calls: Array<{ url: string; init: RequestInitLike; valid: boolean }> = [];
  const peers: FakePeer[] = [];
  const streams: FakeStream[] = [];
  const phases: string[] = [];
  const client = new WhepClient({
    link: { token: TOKEN, fingerprint: null, ...opts.link },
    base: BASE,
    fetch: async (url, init) => {
      const auth = init.headers.Authorization;
      const body = init.body ?? '';
      const valid = url.startsWith(BASE) && box.verify(init.method, url.slice(BASE.length), auth, body);
      calls.push({ url, init, valid });
      if (init.method === 'GET') {
        if (opts.eventsStatus !== undefined) return response(opts.eventsStatus);
        const stream = new FakeStream(url, parseProof(auth)!.n, box);
        streams.push(stream);
        return response(200, { 'Content-Type': 'text/event-stream' }, '', stream);
      }
      if (init.method === 'DELETE') return response(200, box.sign(auth!, '', { status: 200 }));
      const next = opts.script.shift();
      if (next === undefined) throw new Error('no scripted response left');
      if (next instanceof Error) throw next;
      const plain = { ...next.headers, ...(next.location ? { Location: next.location } : {}) };
      const headers = next.unsigned ? plain : box.sign(auth!, body, next);
      return response(next.status, headers, opts.swapAnswer ? opts.swapAnswer(next.body ?? '') : (next.body ?? ''));
    },
    randomBytes: (length) => new Uint8Array(length).fill(calls.length + 1),
    createPeerConnection: () => {
      const peer = new FakePeer(opts.gatherMs === undefined ? 20 : opts.gatherMs);
      peers.push(peer);
      return peer;
    },
    videoCapabilities: () => ({ codecs: opts.caps ?? CAPS }),
    audioCapabilities: () => ({ codecs: AUDIO_CAPS }),
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
  return { box, client, calls, posts, peers, lastPeer, streams, phases };
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
  it('POSTs the gathered offer with a proof the box accepts (never the token), pins H.264 CB, goes live', async () => {
    const h = harness({ script: [created('abc')] });
    h.client.start();
    await run(100);
    const [post] = h.posts();
    expect(post?.url).toBe(`${BASE}/whep`);
    expect(post?.init.headers).toEqual({ Authorization: expect.stringMatching(/^Sonobox-Proof id=[\w-]{43}, n=1, key=[\w-]{43}, mac=[\w-]{43}$/), 'Content-Type': 'application/sdp' });
    expect(post?.valid).toBe(true);
    expect(JSON.stringify(h.calls)).not.toContain(TOKEN);
    expect(post?.init.body).toContain('a=candidate:'); // non-trickle: sent after gathering
    expect(post?.init).toMatchObject({ credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' });
    expect(h.lastPeer().codecPreferences?.map((c) => c.sdpFmtpLine)).toEqual([H264_CB]);
    expect(h.lastPeer().remoteSdp).toBe(ANSWER);
    expect(h.streams.map((s) => s.url)).toEqual([`${BASE}/whep/abc/events`]);
    expect(h.calls.every((c) => c.valid)).toBe(true);
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
  it.each([
    { name: 'unsigned (someone on the network answered)', reply: { ...(created('abc') as Answer), unsigned: true } },
    // The box signed its answer; a man in the middle swaps the SDP for one with its own DTLS fingerprint.
    { name: 'the signed answer swapped on the way', reply: created('abc'), swap: (sdp: string) => sdp.replace('65:5D', '00:00') },
  ])('refuses a 201 the box did not sign: $name; the answer is never applied', async ({ reply, swap }) => {
    const h = harness({ script: [reply], ...(swap ? { swapAnswer: swap } : {}) });
    h.client.start();
    await run(100);
    expect(h.lastPeer().remoteSdp).toBeNull();
    expect(h.phases).toEqual(['error:fingerprint-mismatch']);
  });
});

async function liveClient(script: Scripted[]) {
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

  it('disconnected > 3 s → reconnecting, re-offers signed with the device keys, follows the new resource', async () => {
    const h = await liveClient([created('def')]);
    const first = h.lastPeer();
    first.setIce('disconnected');
    await run(3_100);
    expect(h.client.snapshot.phase).toBe('reconnecting');
    expect(first.closed).toBe(true);
    await run(100);
    const resume = h.posts()[1];
    expect(resume?.url).toBe(`${BASE}/whep`);
    expect(resume?.init.headers.Authorization).toMatch(/^Sonobox-Proof id=[\w-]{43}, n=3, mac=[\w-]{43}$/); // no key: not a claim
    expect(resume?.valid).toBe(true);
    expect(h.streams.map((s) => [s.url, s.cancelled])).toEqual([
      [`${BASE}/whep/abc/events`, true],
      [`${BASE}/whep/def/events`, false],
    ]);
    h.lastPeer().setIce('connected');
    expect(h.client.snapshot.phase).toBe('reconnecting'); // the new connection has shown nothing yet
    play(h);
    expect(h.phases).toEqual(['live', 'reconnecting', 'live']);

    // The next resume: the next counter, still accepted.
    h.lastPeer().setIce('failed');
    await run(100);
    expect(h.posts()[2]?.valid).toBe(true);
    expect(h.calls.map((c) => parseProof(c.init.headers.Authorization)!.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('409 on resume (the box still hears the old connection) waits for Retry-After, then resumes', async () => {
    const h = await liveClient([jsonError(409, { 'Retry-After': '3' }), created('def')]);
    h.lastPeer().setIce('failed');
    await run(2_900);
    expect(h.posts()).toHaveLength(2);
    await run(300);
    expect(h.posts()).toHaveLength(3);
    play(h);
    expect(h.phases).toEqual(['live', 'reconnecting', 'live']);
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
  it('a signed {"state":"ended"} → ended: closes the peer and the events, stops retrying', async () => {
    const h = await liveClient([]);
    const stream = h.streams[0]!;
    stream.send('{"state":"live"}');
    await run(0);
    expect(h.client.snapshot.phase).toBe('live');
    stream.send('{"state":"ended"}');
    await run(0);
    expect(h.phases).toEqual(['live', 'ended']);
    expect(h.lastPeer().closed).toBe(true);
    expect(stream.cancelled).toBe(true);
    h.lastPeer().setIce('failed');
    await run(60_000);
    expect(h.posts()).toHaveLength(1);
  });

  it('a signed {"state":"replaced"} → replaced (terminal): the link now plays on another connection', async () => {
    const h = await liveClient([]);
    h.streams[0]!.send('{"state":"replaced"}');
    await run(0);
    expect(h.phases).toEqual(['live', 'replaced']);
    h.lastPeer().setIce('failed');
    await run(60_000);
    expect(h.posts()).toHaveLength(1);
  });

  it('an injected, unsigned or replayed "ended" is ignored; heartbeats too', async () => {
    const h = await liveClient([]);
    const stream = h.streams[0]!;
    stream.push(': keep-alive\n\n');
    stream.push('data: {"state":"ended"}\n\n');
    stream.push('id: 0\ndata: {"state":"ended"}\nproof: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n');
    stream.send('{"state":"live"}'); // seq 0, genuine
    stream.push(h.box.event(h.streams[0]!.requestN, 0, '{"state":"ended"}')); // seq 0 again: out of place
    await run(0);
    expect(h.client.snapshot.phase).toBe('live');
    stream.send('{"state":"ended"}'); // seq 1, genuine
    await run(0);
    expect(h.phases).toEqual(['live', 'ended']);
  });

  it('403 on the event stream (the link ended while connecting) → ended', async () => {
    const h = harness({ script: [created('abc')], eventsStatus: 403 });
    h.client.start();
    await run(100);
    expect(h.phases).toEqual(['ended']);
  });

  it('an event stream that closes by itself is reopened (a new signed GET), and keeps working', async () => {
    const h = await liveClient([]);
    h.streams[0]!.send('{"state":"live"}');
    h.streams[0]!.end();
    await run(2_100);
    expect(h.streams).toHaveLength(2);
    expect(h.calls.filter((c) => c.init.method === 'GET').every((c) => c.valid)).toBe(true);
    h.streams[1]!.send('{"state":"ended"}');
    await run(0);
    expect(h.phases).toEqual(['live', 'ended']);
  });

  it('an "ended" during the blip cannot come from a stale stream; the resume decides', async () => {
    const h = await liveClient([created('def')]);
    const first = h.streams[0]!;
    h.lastPeer().setIce('disconnected');
    await run(3_200);
    expect(first.cancelled).toBe(true);
    first.send('{"state":"ended"}'); // too late: the page no longer reads it
    await run(0);
    expect(h.posts()).toHaveLength(2);
    play(h);
    expect(h.phases).toEqual(['live', 'reconnecting', 'live']);
  });

  it('a session that ended during the blip ends at the resume (403), retries stop', async () => {
    const h = await liveClient([jsonError(503), jsonError(503), jsonError(403), created('never')]);
    h.lastPeer().setIce('failed');
    await run(60_000);
    expect(h.posts()).toHaveLength(4);
    expect(h.phases).toEqual(['live', 'reconnecting', 'ended']);
  });

  it('ignores signed data that is not the expected JSON', async () => {
    const h = await liveClient([]);
    h.streams[0]!.send('ended');
    h.streams[0]!.send('{"state":"paused"}');
    await run(0);
    expect(h.client.snapshot.phase).toBe('live');
  });

  it('leave() DELETEs the resource with keepalive and a signed, accepted proof', async () => {
    const h = await liveClient([]);
    h.client.leave();
    h.client.leave();
    const deletes = h.calls.filter((c) => c.init.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.url).toBe(`${BASE}/whep/abc`);
    expect(deletes[0]?.init).toMatchObject({ keepalive: true, headers: { Authorization: expect.stringMatching(/^Sonobox-Proof /) } });
    expect(deletes[0]?.valid).toBe(true);
    expect(h.lastPeer().closed).toBe(true);
  });
});

describe('WhepClient: no reusable credential leaves the page', () => {
  it('the token is in no URL and no header; no Authorization is ever sent twice; every one is accepted', async () => {
    const h = await liveClient([jsonError(503), created('def')]);
    h.lastPeer().setIce('failed');
    await run(2_000);
    play(h);
    h.client.leave();
    expect(h.calls.length).toBeGreaterThanOrEqual(6);
    const sent = JSON.stringify(h.calls);
    expect(sent).not.toContain(TOKEN);
    const authorizations = h.calls.map((c) => c.init.headers.Authorization);
    expect(new Set(authorizations).size).toBe(authorizations.length);
    expect(h.calls.map((c) => c.valid)).toEqual(h.calls.map(() => true));
  });

  it('a token the box could not have made is link-invalid at once, before any request', async () => {
    const h = harness({ link: { token: 'B'.repeat(43) }, script: [] });
    h.client.start();
    await run(1_000);
    expect(h.calls).toHaveLength(0);
    expect(h.phases).toEqual(['link-invalid']);
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
  const createdAv = (id: string): Scripted => created(id, ANSWER_AV);

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
    const h = harness({ script: [created('abc', answer)] });
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
    const events = h.streams[0]!;
    events.send('{"state":"live","audio":"on"}');
    events.send('{"state":"live","audio":"muted"}');
    events.send('{"state":"live","audio":"muted"}');
    events.send('{"state":"live","audio":"silly"}');
    events.send('not json');
    await run(0);
    expect(h.client.snapshot.audio).toBe('muted');
    events.send('{"state":"live","audio":"on"}');
    events.send('{"state":"live","audio":"none"}');
    await run(0);
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
