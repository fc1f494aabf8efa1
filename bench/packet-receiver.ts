import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { PageClient, baseOf, seenFromFetch } from '../appliance/src/http/test/page-client.js';

/**
 * A lightweight WHEP viewer for load tests: completes ICE, DTLS and SRTP like a phone
 * would, then only counts RTP packets and access units (marker bits) without decoding,
 * so eight viewers do not saturate a two-core machine with video decoding. It signs its
 * requests as the viewer page does (sonobox/v1 proofs, PageClient), so it takes the real
 * path on any box whatever its session.whepBearer, and checks the box's signed answer.
 */
export class PacketReceiver {
  packets = 0;
  frames = 0;
  bytes = 0;
  private pc: RTCPeerConnection | undefined;
  private resource: string | undefined;
  private page: PageClient | undefined;

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
    const page = new PageClient(token, baseOf(this.baseUrl));
    this.page = page;
    const offer = pc.localDescription!.sdp;
    const sent = page.sign('POST', '/whep', offer);
    const res = await seenFromFetch(
      await fetch(new URL('/whep', this.baseUrl), { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: sent.authorization }, body: offer }),
    );
    if (res.statusCode !== 201) throw new Error(`WHEP POST answered ${res.statusCode}: ${res.body}`);
    // As the page does: believe the answer only once the box's signature checks.
    if (!page.receive(sent, res)) throw new Error('WHEP POST: the 201 is not signed by the box that holds this link');
    this.resource = String(res.headers.location);
    await pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => pc.connectionState === 'connected', timeoutMs, 'connection');
  }

  async close(): Promise<void> {
    if (this.resource && this.page) {
      const sent = this.page.sign('DELETE', this.resource);
      await fetch(new URL(this.resource, this.baseUrl), { method: 'DELETE', headers: { authorization: sent.authorization } }).catch(() => undefined);
    }
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
