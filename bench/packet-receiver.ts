import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

/**
 * A lightweight WHEP viewer for load tests: completes ICE, DTLS and SRTP like a phone
 * would, then only counts RTP packets and access units (marker bits) without decoding,
 * so eight viewers do not saturate a two-core machine with video decoding.
 */
export class PacketReceiver {
  packets = 0;
  frames = 0;
  bytes = 0;
  private pc: RTCPeerConnection | undefined;
  private resource: string | undefined;

  constructor(private readonly baseUrl: string) {}

  /** Negotiates with the box using the one-time token; resolves once the connection is up. */
  async connect(token: string, timeoutMs = 20_000): Promise<void> {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      codecs: {
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90000,
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
            parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
          }),
        ],
      },
    });
    this.pc = pc;
    const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.packets++;
        this.bytes += rtp.payload.length;
        if (rtp.header.marker) this.frames++;
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(() => pc.iceGatheringState === 'complete', timeoutMs, 'ICE gathering');
    const res = await fetch(new URL('/whep', this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
      body: pc.localDescription!.sdp,
    });
    if (res.status !== 201) throw new Error(`WHEP POST answered ${res.status}: ${await res.text()}`);
    this.resource = new URL(res.headers.get('location')!, this.baseUrl).toString();
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await waitFor(() => pc.connectionState === 'connected', timeoutMs, 'connection');
  }

  async close(): Promise<void> {
    if (this.resource) await fetch(this.resource, { method: 'DELETE' }).catch(() => undefined);
    await this.pc?.close();
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} did not complete within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
