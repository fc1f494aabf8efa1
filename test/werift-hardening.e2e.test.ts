/**
 * Hostile peers against the box's werift stack, on loopback only: the factory and a hub
 * fed by a counting fake encoder (30 fps; an IDR only when asked), werift receivers
 * standing in for phones, and a raw UDP socket standing in for a third party on the LAN.
 * Each case is an attack and the answer the box must give.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  RtcpTransportLayerFeedback,
  useH264,
  type RTCRtpTransceiver,
} from 'werift';
import { defaultConfig } from '../appliance/src/config/config.js';
import { StreamHub } from '../appliance/src/stream/stream-hub.js';
import type { GuardCounters } from '../appliance/src/webrtc/ice-datagram-guard.js';
import { MAX_REMB_BPS, type RtcpGuardCounters } from '../appliance/src/webrtc/rtcp-guard.js';
import { ViewerState, type PendingViewer } from '../appliance/src/webrtc/viewer-connection.js';
import { WeriftViewerFactory } from '../appliance/src/webrtc/werift-viewer-factory.js';

const SPS = Buffer.from('6742c01fda0140016e84000003000400000300f23c60ca80', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const slice = (header: number, size: number): Buffer => {
  const b = Buffer.alloc(size, 0x5a);
  b[0] = header;
  return b;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The box side: a 30 fps fake encoder that makes an IDR only when the hub asks. */
function box() {
  let keyframeRequests = 0;
  let idrPending = true;
  let idrsPublished = 0;
  const hub = new StreamHub({ viewerQueueFrames: 30, requestKeyframe: () => { keyframeRequests++; idrPending = true; } });
  const logLines: string[] = [];
  const factory = new WeriftViewerFactory({
    hub,
    webrtc: { ...defaultConfig.webrtc, extraHostAddresses: ['127.0.0.1'] },
    log: (l) => logLines.push(l),
  });
  let seq = 0;
  const timer = setInterval(() => {
    const keyframe = idrPending;
    idrPending = false;
    if (keyframe) idrsPublished++;
    hub.publish({ nalus: keyframe ? [SPS, PPS, slice(0x65, 4000)] : [slice(0x41, 1500)], keyframe, captureTimeMs: Date.now(), seq: seq++ });
  }, 33);
  return {
    hub, factory, logLines,
    keyframeRequests: () => keyframeRequests,
    idrsPublished: () => idrsPublished,
    stop: () => clearInterval(timer),
  };
}

interface Phone {
  rx: RTCPeerConnection;
  t: RTCRtpTransceiver;
  pending: PendingViewer;
  frames: number;
  idrs: number;
  boxSsrc: number;
}

async function offerFromPhone(): Promise<{ rx: RTCPeerConnection; t: RTCRtpTransceiver; offer: string }> {
  const rx = new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    codecs: { audio: [], video: [useH264({ rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }] })] },
  });
  const t = rx.addTransceiver('video', { direction: 'recvonly' });
  await rx.setLocalDescription(await rx.createOffer());
  await until(() => rx.iceGatheringState === 'complete', 5000, 'phone ICE gathering');
  return { rx, t, offer: rx.localDescription!.sdp };
}

/** Applies the answer, counts frames (marker bits) and IDRs (NAL type 5 or STAP-A/FU-A starting one). */
async function completePhone(rx: RTCPeerConnection, t: RTCRtpTransceiver, pending: PendingViewer): Promise<Phone> {
  const phone: Phone = { rx, t, pending, frames: 0, idrs: 0, boxSsrc: 0 };
  await rx.setRemoteDescription({ type: 'answer', sdp: pending.answerSdp });
  t.receiver.track.onReceiveRtp.subscribe((rtp) => {
    phone.boxSsrc = rtp.header.ssrc;
    if (rtp.header.marker) phone.frames++;
    const p = rtp.payload;
    const type = p[0]! & 0x1f;
    // STAP-A (24) carrying SPS first marks an IDR access unit here (the fake encoder sends SPS only with IDRs).
    if (type === 24 && (p[3]! & 0x1f) === 7) phone.idrs++;
    if (type === 28 && (p[1]! & 0x80) && (p[1]! & 0x1f) === 7) phone.idrs++;
    if (type === 7) phone.idrs++;
  });
  pending.attach();
  return phone;
}

/** Answer-side UDP ports on loopback: the only targets a test may aim at. */
function loopbackPorts(answerSdp: string): number[] {
  return [...answerSdp.matchAll(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/gm)].map((m) => Number(m[1]));
}

/** A DTLS 1.2 ClientHello record (RFC 6347 §4.2.2), epoch 0, no cookie, one ECDHE suite. */
function clientHello(): Buffer {
  const body = Buffer.concat([
    Buffer.from([0xfe, 0xfd]), randomBytes(32), Buffer.from([0]), Buffer.from([0]),
    Buffer.from([0x00, 0x02, 0xc0, 0x2b]), Buffer.from([0x01, 0x00]),
  ]);
  const len3 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const handshake = Buffer.concat([Buffer.from([1]), len3(body.length), Buffer.from([0, 0]), len3(0), len3(body.length), body]);
  const header = Buffer.from([22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, (handshake.length >> 8) & 0xff, handshake.length & 0xff]);
  return Buffer.concat([header, handshake]);
}

/** Garbage shaped like SRTP (version 2, PT 96) from the wrong address. */
function fakeSrtp(): Buffer {
  const b = randomBytes(200);
  b[0] = 0x80;
  b[1] = 96;
  return b;
}

/** A STUN binding request with a USERNAME but a MESSAGE-INTEGRITY made with the wrong key. */
function forgedBindingRequest(answerSdp: string): Buffer {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answerSdp)![1]!;
  const username = Buffer.from(`${ufrag}:evil`);
  const pad = (n: number) => (4 - (n % 4)) % 4;
  const attrs = Buffer.concat([
    Buffer.from([0x00, 0x06, 0, username.length]), username, Buffer.alloc(pad(username.length)),
    Buffer.from([0x00, 0x08, 0, 20]), randomBytes(20),
  ]);
  return Buffer.concat([Buffer.from([0x00, 0x01, (attrs.length >> 8) & 0xff, attrs.length & 0xff, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12), attrs]);
}

const internals = (p: PendingViewer) =>
  p.connection as unknown as { datagramCounters: GuardCounters; rtcpCounters: RtcpGuardCounters; sender: { retransmittedPacketsSent: number; receiverEstimatedMaxBitrate?: bigint } };

describe('werift hardening against hostile peers (loopback)', () => {
  let b: ReturnType<typeof box>;
  let bystander: Phone;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    b = box();
    const { rx, t, offer } = await offerFromPhone();
    const pending = await b.factory.answer(offer);
    closers.push(() => rx.close(), () => pending.connection.close('test end'));
    bystander = await completePhone(rx, t, pending);
    await until(() => bystander.frames > 10, 20_000, 'the bystander to receive frames');
  }, 30_000);

  afterAll(async () => {
    b?.stop();
    await Promise.all(closers.map((c) => c().catch(() => {})));
  });

  async function newPhone(): Promise<Phone> {
    const { rx, t, offer } = await offerFromPhone();
    const pending = await b.factory.answer(offer);
    closers.push(() => rx.close(), () => pending.connection.close('test end'));
    return completePhone(rx, t, pending);
  }

  it('DTLS ClientHello race: a third address floods ClientHellos, fake SRTP and forged STUN from before ICE until after; the viewer connects and plays', async () => {
    const { rx, t, offer } = await offerFromPhone();
    const pending = await b.factory.answer(offer);
    closers.push(() => rx.close(), () => pending.connection.close('test end'));
    const ports = loopbackPorts(pending.answerSdp);
    expect(ports.length).toBeGreaterThan(0);

    const attacker: Socket = createSocket('udp4');
    await new Promise<void>((r) => attacker.bind(0, '127.0.0.1', () => r()));
    let stunAnswers = 0;
    attacker.on('message', (m) => { if (m[0]! <= 3) stunAnswers++; });
    const send = (buf: Buffer) => { for (const port of ports) attacker.send(buf, port, '127.0.0.1'); };
    const flood = setInterval(() => { send(clientHello()); send(fakeSrtp()); send(forgedBindingRequest(pending.answerSdp)); }, 5);
    try {
      // The race: ClientHellos are already arriving when the phone applies the answer.
      await sleep(100);
      const phone = await completePhone(rx, t, pending);
      await until(() => pending.connection.state === ViewerState.connected, 20_000, 'the attacked viewer to connect');
      await until(() => phone.frames > 5, 10_000, 'frames at the attacked viewer');
      const before = phone.frames;
      await sleep(2000); // keep flooding after ICE and DTLS completed
      expect(phone.frames - before).toBeGreaterThan(30); // ~60 expected at 30 fps
      expect(pending.connection.state).toBe(ViewerState.connected);
    } finally {
      clearInterval(flood);
      attacker.close();
    }
    const counters = internals(pending).datagramCounters;
    expect(counters.droppedMedia).toBeGreaterThan(100); // the flood reached the socket and was dropped
    expect(counters.droppedStun).toBeGreaterThan(50);
    expect(stunAnswers).toBe(0); // forged binding requests got no answer (werift alone answers them all)
  }, 40_000);

  it('NACK storm: 50 NACKs/s of 1,000 duplicate-laden entries for 2 s → resends stay within the 200/s budget; the other viewer is unaffected', async () => {
    const phone = await newPhone();
    await until(() => phone.frames > 5 && phone.boxSsrc !== 0, 20_000, 'frames before the storm');
    const bystanderBefore = bystander.frames;
    const lost = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 7 : i)); // duplicates and a wide range
    const storm = setInterval(() => {
      void phone.t.receiver.dtlsTransport.sendRtcp([
        new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: phone.boxSsrc, lost }) }),
      ]);
    }, 20);
    await sleep(2000);
    clearInterval(storm);
    await sleep(200);
    const { rtcpCounters, sender } = internals(phone.pending);
    expect(rtcpCounters.nackRequested).toBeGreaterThan(50_000);
    expect(rtcpCounters.nackAllowed).toBeLessThanOrEqual(200 * 3.5); // bucket of 200 + 200/s over ~2.2 s
    expect(sender.retransmittedPacketsSent).toBeLessThanOrEqual(rtcpCounters.nackAllowed);
    expect(bystander.frames - bystanderBefore).toBeGreaterThan(45); // ~66 at 30 fps
    expect(phone.pending.connection.state).toBe(ViewerState.connected);
  }, 40_000);

  it('REMB of 0 and of 10 Gbit/s: nothing changes, the stored value is clamped, nothing is logged', async () => {
    const phone = await newPhone();
    await until(() => phone.frames > 5 && phone.boxSsrc !== 0, 20_000, 'frames before the REMBs');
    const logBefore = b.logLines.length;
    const remb = (mantissa: number, exp: number) =>
      new RtcpPayloadSpecificFeedback({
        feedback: new ReceiverEstimatedMaxBitrate({ senderSsrc: 1, mediaSsrc: 0, ssrcNum: 1, brExp: exp, brMantissa: mantissa, bitrate: BigInt(mantissa) << BigInt(exp), ssrcFeedbacks: [phone.boxSsrc] }),
      });
    const framesBefore = phone.frames;
    for (let i = 0; i < 100; i++) {
      await phone.t.receiver.dtlsTransport.sendRtcp([remb(0, 0)]);
      await phone.t.receiver.dtlsTransport.sendRtcp([remb(152_587, 16)]); // ≈ 10 Gbit/s
      await sleep(10);
    }
    await sleep(300);
    const stored = internals(phone.pending).sender.receiverEstimatedMaxBitrate;
    expect(stored).toBeDefined();
    expect(Number(stored)).toBeLessThanOrEqual(MAX_REMB_BPS);
    expect(phone.frames - framesBefore).toBeGreaterThan(30); // ~45 over ~1.5 s
    expect(b.logLines.length).toBe(logBefore);
    expect(phone.pending.connection.state).toBe(ViewerState.connected);
  }, 40_000);

  it('PLI storm: 1,000 PLIs/s for 3 s → at most one keyframe request per second reaches the encoder, and as few IDRs in the stream', async () => {
    const phone = await newPhone();
    await until(() => phone.frames > 5 && phone.boxSsrc !== 0, 20_000, 'frames before the storm');
    await sleep(1100); // let the join's own keyframe request age out of the limiter window
    const requestsBefore = b.keyframeRequests();
    const idrsBefore = bystander.idrs;
    const started = Date.now();
    const storm = setInterval(() => {
      // 10 per 10 ms: 1,000 per second.
      for (let i = 0; i < 10; i++) void phone.t.receiver.sendRtcpPLI(phone.boxSsrc);
    }, 10);
    await sleep(3000);
    clearInterval(storm);
    await sleep(300);
    const seconds = (Date.now() - started) / 1000;
    const requests = b.keyframeRequests() - requestsBefore;
    expect(requests).toBeGreaterThanOrEqual(2); // the PLIs did reach the hub
    expect(requests).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(bystander.idrs - idrsBefore).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(phone.pending.connection.state).toBe(ViewerState.connected);
  }, 40_000);
});
