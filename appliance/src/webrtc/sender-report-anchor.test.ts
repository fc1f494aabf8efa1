/**
 * Real werift RTCRtpSenders (0.25.2) with their own RTCP loop (runRtcp, an SR every
 * 0.5–1.5 s) over a stand-in DTLS transport that keeps what they send: each SR werift
 * builds is serialized by werift and parsed back with werift's RtcpPacketConverter, and
 * its NTP ↔ RTP pair is checked against the capture times of the packets sent.
 */
import { RTCRtpCodecParameters, RTCRtpSender, RtcpPacketConverter, RtcpSrPacket, RtpHeader, RtpPacket, compactNtp } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { captureClockMs } from '../media/raw-frame.js';
import { ntp64FromUnixMs, SenderReportAnchor, srMapping, unixMsFromNtp64 } from './sender-report-anchor.js';

interface Wire {
  sender: RTCRtpSender;
  /** Headers werift put on the wire (after its ssrc/PT/offset rewrite). */
  rtp: RtpHeader[];
  /** Sender reports werift sent, parsed from werift's own serialization, with when they left. */
  srs: { sr: RtcpSrPacket; atMs: number }[];
}

const senders: RTCRtpSender[] = [];
afterEach(() => senders.splice(0).forEach((s) => s.stop()));

/** A werift sender whose transport is "connected" and records what it is given. */
function wire(kind: 'audio' | 'video'): Wire {
  const sender = new RTCRtpSender(kind);
  senders.push(sender);
  const w: Wire = { sender, rtp: [], srs: [] };
  sender.codec = new RTCRtpCodecParameters(
    kind === 'audio' ? { mimeType: 'audio/opus', clockRate: 48_000, channels: 2, payloadType: 111 } : { mimeType: 'video/H264', clockRate: 90_000, payloadType: 102 },
  );
  const transport = {
    state: 'connected',
    transportSequenceNumber: 0,
    onStateChange: { subscribe: () => ({ unSubscribe: () => {} }) },
    sendRtp: async (payload: Buffer, header: RtpHeader) => {
      w.rtp.push(new RtpHeader({ ...header }));
      return payload.length + 12;
    },
    sendRtcp: async (packets: { serialize(): Buffer }[]) => {
      const bytes = Buffer.concat(packets.map((p) => p.serialize()));
      for (const p of RtcpPacketConverter.deSerialize(bytes)) {
        if (p instanceof RtcpSrPacket) w.srs.push({ sr: p, atMs: captureClockMs() });
      }
    },
  };
  sender.setDtlsTransport(transport as unknown as Parameters<RTCRtpSender['setDtlsTransport']>[0]);
  return w;
}

const packet = (timestamp: number, seq: number): RtpPacket => new RtpPacket(new RtpHeader({ timestamp, sequenceNumber: seq, marker: true }), Buffer.alloc(100, 1));

async function untilSrs(ws: Wire[], n: number): Promise<void> {
  const end = Date.now() + 8_000;
  while (ws.some((w) => w.srs.length < n)) {
    if (Date.now() > end) throw new Error(`waited 8 s for ${n} sender reports from werift (runRtcp sends one every 0.5–1.5 s)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The capture time an SR says RTP timestamp `rtp` was captured at (on the SR's line). */
const captureOf = (sr: RtcpSrPacket, rtp: number, clockRate: number): number => {
  let d = (rtp - sr.senderInfo.rtpTimestamp) % 2 ** 32;
  if (d > 2 ** 31) d -= 2 ** 32;
  if (d < -(2 ** 31)) d += 2 ** 32;
  return unixMsFromNtp64(sr.senderInfo.ntpTimestamp) + (d * 1000) / clockRate;
};

/**
 * Sends `count` packets at the stream's pace, each `delayMs` after its capture time (the
 * encoder's delay), through `send` (the anchor, or werift's own sendRtp).
 */
async function stream(w: Wire, clockRate: number, frameMs: number, delayMs: number, count: number, send: (p: RtpPacket, captureMs: number) => unknown): Promise<{ rtp: number; captureMs: number }[]> {
  const base = 1_000_000;
  const first = captureClockMs() - delayMs;
  const sent: { rtp: number; captureMs: number }[] = [];
  for (let k = 0; k < count; k++) {
    const captureMs = first + k * frameMs;
    const wait = captureMs + delayMs - captureClockMs();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const rtp = (base + Math.round((k * frameMs * clockRate) / 1000)) >>> 0;
    void send(packet(rtp, k), captureMs);
    sent.push({ rtp, captureMs });
  }
  return sent;
}

describe('srMapping (pure)', () => {
  it.each([
    ['48 kHz, 20 ms after the anchor', 1000, 48_000, 20, 1960],
    ['90 kHz, 33.3 ms after', 1000, 90_000, 100 / 3, 4000],
    ['wraps past 2^32', 2 ** 32 - 480, 48_000, 20, 480],
    ['before the anchor (an SR racing a late packet)', 960, 48_000, -20, 0],
  ])('%s', (_n, anchorRtp, rate, afterMs, rtp) => {
    const t0 = 1_764_000_000_123.25;
    const m = srMapping(anchorRtp, t0, rate, t0 + afterMs);
    expect(m.rtp).toBe(rtp);
    expect(unixMsFromNtp64(m.ntp)).toBeCloseTo(t0 + afterMs, 3);
  });

  it('NTP is seconds since 1900 and a binary fraction (RFC 5905 §6)', () => {
    const ntp = ntp64FromUnixMs(Date.UTC(2026, 0, 1) + 250);
    expect(Number(ntp >> 32n)).toBe(Date.UTC(2026, 0, 1) / 1000 + 2_208_988_800);
    expect(Number(ntp & 0xffffffffn)).toBe(2 ** 30); // a quarter of a second
  });
});

describe("SenderReportAnchor on werift's RTCRtpSender", () => {
  it('control: werift alone maps the RTP timestamp to the send time, not the capture time (werift #701)', async () => {
    const w = wire('video');
    const sent = await stream(w, 90_000, 100 / 3, 300, 60, (p) => w.sender.sendRtp(p));
    await untilSrs([w], 1);
    const { sr } = w.srs[0]!;
    // werift pairs the RTP timestamp of the packet it last sent with the wall clock at that
    // send (rtpSender.js), not with its capture: 300 ms late here. And its NTP fraction is the
    // decimal digits of the seconds read as an integer (utils.js ntpTime): at most 7 digits, so under 10^7 / 2^32 s (2.3 ms) of
    // a fraction, so the SR names a whole second: the capture-time error is anything from 0 to
    // ~700 ms depending on where in its second the send fell. Both facts are deterministic.
    expect(sent.map((p) => p.rtp)).toContain(sr.senderInfo.rtpTimestamp);
    expect(Number(sr.senderInfo.ntpTimestamp & 0xffffffffn) / 2 ** 32).toBeLessThan(1e7 / 2 ** 32);
  });

  it('audio (48 kHz) and video (90 kHz) with different capture → send delays: both SRs map RTP to the capture clock', async () => {
    const audio = wire('audio');
    const video = wire('video');
    const a = SenderReportAnchor.install(audio.sender, 48_000);
    const v = SenderReportAnchor.install(video.sender, 90_000);
    const [sa, sv] = await Promise.all([
      stream(audio, 48_000, 20, 25, 100, (p, c) => a.send(p, c)),
      stream(video, 90_000, 100 / 3, 90, 60, (p, c) => v.send(p, c)),
    ]);
    await untilSrs([audio, video], 1);
    for (const [w, sent, rate] of [[audio, sa, 48_000], [video, sv, 90_000]] as const) {
      for (const { sr, atMs } of w.srs) {
        // NTP is the SR's own send time on the capture clock…
        expect(Math.abs(unixMsFromNtp64(sr.senderInfo.ntpTimestamp) - atMs)).toBeLessThan(5);
        // …and every packet's RTP timestamp maps back to its capture time, to a tick.
        for (const s of [sent[0]!, sent[Math.floor(sent.length / 2)]!, sent[sent.length - 1]!]) {
          expect(Math.abs(captureOf(sr, s.rtp, rate) - s.captureMs)).toBeLessThan(0.05);
        }
      }
    }
    // werift's RTT bookkeeping matches the LSR it will get back: the NTP it sent.
    const last = audio.srs[audio.srs.length - 1]!.sr;
    expect((audio.sender as unknown as { lastSRtimestamp: number }).lastSRtimestamp).toBe(compactNtp(last.senderInfo.ntpTimestamp));
  });

  it("follows werift's per-viewer timestamp offset (replaceRTP continuity after skipped units)", async () => {
    const w = wire('video');
    const v = SenderReportAnchor.install(w.sender, 90_000);
    const t0 = captureClockMs() - 50;
    v.send(packet(5000, 0), t0);
    // The viewer skipped units: the hub's next timestamp is far on, werift re-bases it.
    w.sender.replaceRTP(new RtpHeader(), false, 3000);
    v.send(packet(777_777, 1), t0 + 1000 / 30);
    const onWire = w.rtp.map((h) => h.timestamp);
    expect(onWire).toEqual([5000, 8000]);
    expect(v.current).toEqual({ rtp: 8000, captureMs: t0 + 1000 / 30 });
    await untilSrs([w], 1);
    expect(Math.abs(captureOf(w.srs[0]!.sr, 8000, 90_000) - (t0 + 1000 / 30))).toBeLessThan(0.05);
  });

  it('a packet werift does not dispatch (transport not connected) moves no anchor', () => {
    const w = wire('audio');
    const a = SenderReportAnchor.install(w.sender, 48_000);
    const t0 = captureClockMs();
    a.send(packet(960, 0), t0);
    (w.sender.dtlsTransport as unknown as { state: string }).state = 'connecting';
    a.send(packet(1920, 1), t0 + 20);
    expect(a.current).toEqual({ rtp: 960, captureMs: t0 });
  });
});
