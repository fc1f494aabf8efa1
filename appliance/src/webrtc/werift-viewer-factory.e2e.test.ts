/**
 * End to end on loopback: a werift *receiver* (standing in for a browser) offers recvonly
 * H.264, the factory answers, media published into the hub comes out of werift's
 * depacketizer byte-identical with the header extensions under the negotiated ids.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  H264RtpPayload,
  RTCPeerConnection,
  RTCRtpHeaderExtensionParameters,
  useH264,
  type RtpPacket,
  type RTCRtpTransceiver,
} from 'werift';
import { defaultConfig } from '../config/config.js';
import type { AccessUnit } from '../media/access-unit.js';
import { AudioHub } from '../stream/audio-hub.js';
import { StreamHub } from '../stream/stream-hub.js';
import { ABS_CAPTURE_TIME_URI, parseAbsCaptureTime, parsePlayoutDelay, PLAYOUT_DELAY_URI } from './rtp-header-extensions.js';
import { OfferRejected, ViewerState, type PendingViewer } from './viewer-connection.js';
import { WeriftViewerFactory } from './werift-viewer-factory.js';

const SPS = Buffer.from('6742c01fda0140016e84000003000400000300f23c60ca80', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');

function slice(header: number, size: number, salt: number): Buffer {
  const b = Buffer.alloc(size);
  b[0] = header;
  // No 00 00 0x runs, so werift's Annex-B output splits back cleanly.
  for (let i = 1; i < size; i++) b[i] = ((i * 31 + salt) % 250) + 1;
  return b;
}

const until = async (cond: () => boolean, ms: number, what: string): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function fixture(extra: Partial<ConstructorParameters<typeof WeriftViewerFactory>[0]> = {}) {
  let now = 0;
  let requests = 0;
  const hub = new StreamHub({
    viewerQueueFrames: 30,
    requestKeyframe: () => { requests++; },
    now: () => now,
    setTimer: () => () => {}, // deferred requests never fire here; the tests count immediate ones
  });
  const factory = new WeriftViewerFactory({
    hub,
    webrtc: { ...defaultConfig.webrtc, extraHostAddresses: ['127.0.0.1'] },
    disconnectedTimeoutMs: 1000,
    rtcpSilenceTimeoutMs: 4000,
    ...extra,
  });
  return { hub, factory, requests: () => requests, advance: (ms: number) => { now += ms; } };
}

async function receiverOffer(): Promise<{ rx: RTCPeerConnection; t: RTCRtpTransceiver; offer: string }> {
  const rx = new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    codecs: {
      audio: [],
      video: [useH264({ rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] })],
    },
    headerExtensions: {
      audio: [],
      video: [
        new RTCRtpHeaderExtensionParameters({ uri: PLAYOUT_DELAY_URI }),
        new RTCRtpHeaderExtensionParameters({ uri: ABS_CAPTURE_TIME_URI }),
      ],
    },
  });
  const t = rx.addTransceiver('video', { direction: 'recvonly' });
  await rx.setLocalDescription(await rx.createOffer());
  await until(() => rx.iceGatheringState === 'complete', 5000, 'receiver ICE gathering');
  return { rx, t, offer: rx.localDescription!.sdp };
}

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close().catch(() => {})));
});

describe('WeriftViewerFactory (werift receiver on loopback)', () => {
  it('answers, connects, delivers identical NALs with both extensions, handles PLI, and closes once', async () => {
    const f = fixture();
    const { rx, t, offer } = await receiverOffer();
    open.push(rx);
    const pending: PendingViewer = await f.factory.answer(offer);
    open.push({ close: () => pending.connection.close('test end') });
    expect(pending.connection.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // The ids the offerer chose (werift numbers its own); the answer and packets must use them.
    const idOf = (sdp: string, uri: string): number => Number(new RegExp(`a=extmap:(\\d+) ${uri}`).exec(sdp)?.[1]);
    const PLAYOUT_ID = idOf(offer, PLAYOUT_DELAY_URI);
    const ABS_ID = idOf(offer, ABS_CAPTURE_TIME_URI);
    expect(PLAYOUT_ID).toBeGreaterThan(0);
    expect(ABS_ID).toBeGreaterThan(0);
    expect(idOf(pending.answerSdp, PLAYOUT_DELAY_URI)).toBe(PLAYOUT_ID);
    expect(idOf(pending.answerSdp, ABS_CAPTURE_TIME_URI)).toBe(ABS_ID);
    expect(pending.answerSdp).toMatch(/a=sendonly/);
    expect(pending.answerSdp).not.toMatch(/rtcp-fb:\d+ transport-cc/);

    const received: RtpPacket[] = [];
    await rx.setRemoteDescription({ type: 'answer', sdp: pending.answerSdp });
    // werift gives the receiver its track when the answer is applied, not before.
    t.receiver.track.onReceiveRtp.subscribe((rtp) => { received.push(rtp); });
    const closedReasons: string[] = [];
    pending.connection.onClosed((r) => closedReasons.push(r));

    pending.attach();
    await until(() => pending.connection.state === ViewerState.connected, 15_000, 'connected');
    expect(f.requests()).toBe(1); // joining the hub asked for an IDR

    // A P-frame before any IDR must not reach a new viewer.
    f.hub.publish({ nalus: [slice(0x41, 800, 1)], keyframe: false, captureTimeMs: Date.now(), seq: 0 });
    const idr = slice(0x65, 60_000, 2);
    const captureTimeMs = Date.now() + 0.25;
    const aus: AccessUnit[] = [
      { nalus: [SPS, PPS, idr], keyframe: true, captureTimeMs, seq: 1 },
      { nalus: [slice(0x41, 3000, 3)], keyframe: false, captureTimeMs: captureTimeMs + 33.3, seq: 2 },
      { nalus: [slice(0x41, 10, 4)], keyframe: false, captureTimeMs: captureTimeMs + 66.6, seq: 3 },
    ];
    for (const au of aus) f.hub.publish(au);
    await until(() => received.filter((p) => p.header.marker).length >= 3, 10_000, 'three frames');

    // Depacketize frame by frame with werift and compare NAL bytes.
    const frames: Buffer[][] = [];
    let current: Buffer[] = [];
    let fragment: Buffer | undefined;
    const sorted = [...received].sort((a, b) => ((a.header.sequenceNumber - received[0]!.header.sequenceNumber) & 0xffff) - ((b.header.sequenceNumber - received[0]!.header.sequenceNumber) & 0xffff));
    for (const p of sorted) {
      const d = H264RtpPayload.deSerialize(p.payload, fragment);
      fragment = d.fragment;
      if (d.payload) current.push(...d.payload.toString('hex').split('00000001').filter(Boolean).map((h) => Buffer.from(h, 'hex')));
      if (p.header.marker) { frames.push(current); current = []; }
    }
    expect(frames.map((fr) => fr.map((n) => n.toString('hex')))).toEqual(aus.map((au) => au.nalus.map((n) => n.toString('hex'))));

    // Sequence numbers contiguous, timestamps 90 kHz apart, extensions under the offered ids.
    for (let i = 1; i < sorted.length; i++) {
      expect((sorted[i]!.header.sequenceNumber - sorted[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
    }
    const ts = [...new Set(sorted.map((p) => p.header.timestamp))];
    expect(ts).toHaveLength(3);
    expect((ts[1]! - ts[0]! + 2 ** 32) % 2 ** 32).toBe(Math.round(33.3 * 90));
    for (const p of sorted) {
      const pd = p.header.extensions.find((e) => e.id === PLAYOUT_ID);
      expect(pd && parsePlayoutDelay(pd.payload)).toEqual({ minMs: 0, maxMs: 0 });
    }
    const firstOfFrame = sorted.filter((p, i) => i === 0 || sorted[i - 1]!.header.marker);
    expect(firstOfFrame).toHaveLength(3);
    const abs = firstOfFrame[0]!.header.extensions.find((e) => e.id === ABS_ID);
    expect(abs).toBeDefined();
    expect(Math.abs(parseAbsCaptureTime(abs!.payload) - captureTimeMs)).toBeLessThan(0.001);
    expect(sorted.filter((p) => p.header.extensions.some((e) => e.id === ABS_ID))).toHaveLength(3);

    // A PLI after the coalescing window → exactly one keyframe request.
    const ssrc = sorted[0]!.header.ssrc;
    f.advance(10_000);
    const before = f.requests();
    await t.receiver.sendRtcpPLI(ssrc);
    await until(() => f.requests() === before + 1, 5000, 'keyframe request from PLI');
    // Two PLIs within one second → one request.
    f.advance(10_000);
    await t.receiver.sendRtcpPLI(ssrc);
    await t.receiver.sendRtcpPLI(ssrc);
    await until(() => f.requests() >= before + 2, 5000, 'keyframe request from the PLI pair');
    await new Promise((r) => setTimeout(r, 300));
    expect(f.requests()).toBe(before + 2);

    // The receiver goes away → onClosed fires exactly once; close() stays idempotent.
    await rx.close();
    const closedAt = Date.now();
    await until(() => closedReasons.length > 0, 40_000, 'onClosed after the receiver closed');
    expect(Date.now() - closedAt).toBeLessThan(8000);
    await pending.connection.close('again');
    await pending.connection.close('and again');
    await new Promise((r) => setTimeout(r, 100));
    expect(closedReasons).toHaveLength(1);
    expect(pending.connection.state).toBe(ViewerState.closed);
    expect(f.hub.readerCount).toBe(0);
  });

  it('answers the real Chromium 156 offer (fixture) without OfferRejected, with 42e01f only', async () => {
    const f = fixture();
    const offer = readFileSync(new URL('./test/fixtures/chromium-156-recvonly-offer-abs-capture-time.sdp', import.meta.url), 'utf8');
    const pending = await f.factory.answer(offer);
    open.push({ close: () => pending.connection.close('test end') });
    const rtpmaps = pending.answerSdp.match(/^a=rtpmap:.*$/gm) ?? [];
    expect(rtpmaps.map((l) => l.trim())).toEqual(['a=rtpmap:108 H264/90000']);
    expect(pending.answerSdp).toMatch(/a=fmtp:108 .*profile-level-id=42e01f/);
    expect(pending.answerSdp).toMatch(/packetization-mode=1/);
    expect(pending.answerSdp).toMatch(/a=extmap:5 http:\/\/www\.webrtc\.org\/experiments\/rtp-hdrext\/playout-delay/);
    expect(pending.answerSdp).toMatch(/a=extmap:13 http:\/\/www\.webrtc\.org\/experiments\/rtp-hdrext\/abs-capture-time/);
    expect(pending.answerSdp).toMatch(/a=candidate:.* 127\.0\.0\.1 /);
    expect(pending.answerSdp).toMatch(/a=ssrc:\d+ /);
    expect(pending.connection.state).toBe(ViewerState.connecting);
  });

  /** werift's ICE connection behind a viewer (test-only peek at werift internals). */
  const iceOf = (pending: PendingViewer) =>
    (pending.connection as unknown as { pc: RTCPeerConnection }).pc.iceTransports[0]!.connection as unknown as {
      remoteCandidatesEnd: boolean;
      stunServer: unknown;
      lookup: unknown;
      remoteCandidates: { host: string; port: number }[];
    };

  it('answers Firefox ESR 153 with default ICE: no end-of-candidates reaches werift, its mDNS names go to the box resolver, no STUN', async () => {
    const asked: string[][] = [];
    const firefox = readFileSync(new URL('./test/fixtures/firefox-153-recvonly-offer.sdp', import.meta.url), 'utf8');
    const names = [...new Set([...firefox.matchAll(/ ([0-9a-f-]{36}\.local) /g)].map((m) => m[1]!))];
    const f = fixture({
      mdns: {
        resolve: async (n: readonly string[]) => {
          asked.push([...n]);
          // One name answers with a routable address, the other with link-local ones (IPv4
          // and IPv6: unusable without a zone, and a hostile responder's way to make the box
          // probe its own link): those are dropped, as in an offer.
          return new Map([
            [names[0]!, [{ name: names[0]!, family: 4 as const, address: '10.77.0.2' }]],
            [names[1]!, [{ name: names[1]!, family: 4 as const, address: '169.254.0.9' }, { name: names[1]!, family: 6 as const, address: 'fe80::1' }]],
          ]);
        },
      },
    });
    const pending = await f.factory.answer(firefox);
    open.push({ close: () => pending.connection.close('test end') });
    const ice = iceOf(pending);
    expect(ice.remoteCandidatesEnd).toBe(false); // werift keeps checking and learning prflx
    expect(ice.stunServer).toBeUndefined(); // werift's stun.l.google.com default is gone
    expect(ice.lookup).toBeUndefined(); // werift never started its own mDNS look-up
    expect(asked).toEqual([names]);
    await until(() => ice.remoteCandidates.length > 0, 5000, 'the resolved candidate to be trickled');
    // Only the routable address, only the UDP component-1 candidate (port from the offer).
    const port = Number(new RegExp(`candidate:0 1 UDP \\d+ ${names[0]} (\\d+) typ host`).exec(firefox)![1]);
    expect(ice.remoteCandidates.map((c) => `${c.host}:${c.port}`)).toEqual([`10.77.0.2:${port}`]);
    expect(pending.answerSdp).toMatch(/^m=video 9 UDP\/TLS\/RTP\/SAVPF 126$/m);
  });

  it('a box with sound answers the audio sendonly with Opus, its track in the video\'s MediaStream (one a=msid stream id)', async () => {
    const f = fixture({ audio: new AudioHub() });
    const offer = readFileSync(new URL('./test/fixtures/aiortc-1.4-audio-video-offer.sdp', import.meta.url), 'utf8');
    const pending = await f.factory.answer(offer);
    open.push({ close: () => pending.connection.close('test end') });
    const answer = pending.answerSdp;
    const audio = answer.slice(answer.indexOf('m=audio'), answer.indexOf('m=video'));
    const video = answer.slice(answer.indexOf('m=video'));
    expect(audio).toMatch(/^m=audio [1-9]\d* UDP\/TLS\/RTP\/SAVPF 96\r\n/);
    expect(audio).toContain('a=rtpmap:96 opus/48000/2');
    expect(audio).toMatch(/a=sendonly/);
    expect(audio).toContain('a=rtcp-mux');
    const msid = (section: string): string[] => [...section.matchAll(/^a=msid:(\S+) (\S+)/gm)].map((m) => m[1]!);
    expect(msid(audio)).toEqual(['sonobox']);
    expect(msid(video)).toEqual(['sonobox']);
    // Two tracks, one stream: the track ids differ.
    expect(/^a=msid:\S+ (\S+)/m.exec(audio)![1]).not.toBe(/^a=msid:\S+ (\S+)/m.exec(video)![1]);
    expect(answer).toMatch(/a=group:BUNDLE 0 1/);
  });

  it('a box with sound still answers an audio section the viewer offered sendonly as inactive', async () => {
    const f = fixture({ audio: new AudioHub() });
    const offer = readFileSync(new URL('./test/fixtures/aiortc-1.4-audio-video-offer.sdp', import.meta.url), 'utf8').replace('a=recvonly', 'a=sendonly');
    const pending = await f.factory.answer(offer);
    open.push({ close: () => pending.connection.close('test end') });
    const answer = pending.answerSdp;
    expect(answer.slice(answer.indexOf('m=audio'), answer.indexOf('m=video'))).toMatch(/a=(inactive|recvonly)/);
    expect(answer.slice(answer.indexOf('m=audio'), answer.indexOf('m=video'))).not.toMatch(/a=msid:/);
  });

  it('a box without sound answers an audio + video offer (aiortc 1.4) with the audio accepted: Opus, inactive, bundled, rtcp-mux', async () => {
    const f = fixture();
    const offer = readFileSync(new URL('./test/fixtures/aiortc-1.4-audio-video-offer.sdp', import.meta.url), 'utf8');
    const pending = await f.factory.answer(offer);
    open.push({ close: () => pending.connection.close('test end') });
    const answer = pending.answerSdp;
    const audio = answer.slice(answer.indexOf('m=audio'), answer.indexOf('m=video'));
    // Port 0 (rejected) is what aiortc refuses; JSEP (RFC 8829 §5.3.1) lets the answerer
    // accept it with the direction it can honour.
    expect(audio).toMatch(/^m=audio [1-9]\d* UDP\/TLS\/RTP\/SAVPF 96\r\n/);
    expect(audio).toContain('a=rtpmap:96 opus/48000/2');
    expect(audio).toMatch(/a=inactive/);
    expect(audio).toContain('a=rtcp-mux');
    expect(audio).toMatch(/a=ice-ufrag:/);
    expect(audio).toMatch(/a=setup:(active|passive)/);
    expect(answer).toMatch(/a=group:BUNDLE 0 1/);
    expect(answer.slice(answer.indexOf('m=video'))).toMatch(/a=sendonly/);
  });

  it('signals the encoder\'s profile-level-id (1080p30: level 4.0) in the answer, not the offer\'s', async () => {
    const f = fixture({ profileLevelId: '42e028' });
    const offer = readFileSync(new URL('./test/fixtures/safari-ios-recvonly-offer.sdp', import.meta.url), 'utf8');
    const pending = await f.factory.answer(offer);
    open.push({ close: () => pending.connection.close('test end') });
    expect(pending.answerSdp.match(/^a=fmtp:98 .*$/m)?.[0]).toMatch(/profile-level-id=42e028/);
    expect(pending.answerSdp).not.toMatch(/profile-level-id=640c1f/);
  });

  it('rejects a bad offer before creating a peer connection', async () => {
    const f = fixture();
    await expect(f.factory.answer('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n')).rejects.toBeInstanceOf(OfferRejected);
  });

  it('closing an unattached viewer fires onClosed once, even for late listeners, and frees its UDP sockets', async () => {
    const f = fixture();
    const { rx, offer } = await receiverOffer();
    open.push(rx);
    // werift unrefs its sockets, so Node's resource lists miss them; count socket fds instead.
    const udp = (): number => readdirSync('/proc/self/fd').filter((fd) => {
      try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:'); } catch { return false; }
    }).length;
    const before = udp();
    const pending = await f.factory.answer(offer);
    expect(udp()).toBeGreaterThan(before);
    const reasons: string[] = [];
    pending.connection.onClosed((r) => reasons.push(`early:${r}`));
    await Promise.all([pending.connection.close('DELETE'), pending.connection.close('DELETE twice')]);
    pending.connection.onClosed((r) => reasons.push(`late:${r}`));
    await new Promise((r) => setTimeout(r, 20));
    expect(reasons).toEqual(['early:DELETE', 'late:DELETE']);
    await until(() => udp() === before, 2000, 'UDP sockets released');
    pending.attach(); // no effect once closed
    expect(f.hub.readerCount).toBe(0);
  });
});
