/**
 * A stub box for the viewer page's browser tests: it serves the built page with the real CSP
 * and speaks the WHEP contract on 127.0.0.1, recording every request. The "box" side of the
 * live cases is a second Chromium page sending a canvas over WebRTC (startSender).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

const dist = join(fileURLToPath(new URL('..', import.meta.url)), 'dist');
export const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
export const RESUME = 'stub-resume-secret_0123456789';

export interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  referer: string | null;
}

/** A stub box: static page + WHEP. `answer` is null for "403 link-invalid". */
export class StubBox {
  readonly seen: Seen[] = [];
  answer: ((offer: string) => Promise<string>) | null = null;
  private events: http.ServerResponse | null = null;
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
  endSession(): void {
    this.events?.end('data: {"state":"ended"}\n\n');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const method = req.method ?? '';
    // The sender page (and its automatic favicon request) is the stub's, not the viewer's.
    if (url !== '/sender' && url !== '/favicon.ico') {
      this.seen.push({ method, url, authorization: req.headers.authorization ?? null, referer: req.headers.referer ?? null });
    }
    const sec = { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };
    if (method === 'GET' && url === '/v') {
      res.writeHead(200, { ...sec, 'content-type': 'text/html; charset=utf-8' }).end(await readFile(join(dist, 'index.html')));
    } else if (method === 'GET' && /^\/assets\/[a-z]+\.(js|css|svg)$/.test(url)) {
      const type = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }[extname(url)];
      res.writeHead(200, { ...sec, 'content-type': type ?? '' }).end(await readFile(join(dist, url)));
    } else if (method === 'POST' && url === '/whep') {
      let offer = '';
      for await (const chunk of req) offer += String(chunk);
      if (this.answer === null) {
        res.writeHead(403, { ...sec, 'content-type': 'application/json' }).end('{"error":"link-invalid","message":"unknown, used or expired link"}');
        return;
      }
      const answer = await this.answer(offer);
      res.writeHead(201, { ...sec, 'content-type': 'application/sdp', location: '/whep/v1', 'x-sonobox-resume': RESUME }).end(answer);
    } else if (method === 'GET' && url === '/whep/v1/events') {
      res.writeHead(200, { ...sec, 'content-type': 'text/event-stream' });
      res.write('data: {"state":"live"}\n\n');
      this.events = res;
    } else if (method === 'DELETE' && url === '/whep/v1') {
      res.writeHead(200, sec).end();
    } else if (url === '/sender') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><canvas id=c width=640 height=360></canvas>');
    } else {
      res.writeHead(404, sec).end();
    }
  }
}

/** A Chromium page that answers WHEP offers with a moving canvas, like the box would. */
export async function startSender(context: BrowserContext, box: StubBox): Promise<{ page: Page; fingerprint: string }> {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${box.port}/sender`);
  const fingerprint = await page.evaluate(async () => {
    const canvas = document.getElementById('c') as HTMLCanvasElement;
    const g = canvas.getContext('2d')!;
    let n = 0;
    setInterval(() => {
      g.fillStyle = n % 2 ? '#222' : '#444';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#ddd';
      g.fillRect((n++ * 7) % 600, 160, 40, 40);
    }, 33);
    const track = canvas.captureStream(30).getVideoTracks()[0]!;
    const cert = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
    const w = window as unknown as Record<string, unknown>;
    w.answerOffer = async (offer: string) => {
      const pc = new RTCPeerConnection({ certificates: [cert] });
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      const t = pc.getTransceivers()[0]!;
      t.direction = 'sendonly';
      await t.sender.replaceTrack(track);
      await pc.setLocalDescription(await pc.createAnswer());
      if (pc.iceGatheringState !== 'complete') {
        await new Promise<void>((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
      }
      w.senderPc = pc;
      return pc.localDescription!.sdp;
    };
    return cert.getFingerprints().find((f) => f.algorithm === 'sha-256')!.value!;
  });
  box.answer = (offer) => page.evaluate((o) => (window as unknown as { answerOffer: (o: string) => Promise<string> }).answerOffer(o), offer);
  return { page, fingerprint };
}

