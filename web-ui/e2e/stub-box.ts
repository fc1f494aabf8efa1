/**
 * A stub box for the viewer page's browser tests: it serves the built page with the real CSP
 * and speaks the WHEP contract on 127.0.0.1, recording every request. Its credential checks
 * are the box's own (appliance/src/credentials: accept, claim, responseProof, signedEvent),
 * so the built page is held to the real sonobox/v1. The "box" side of the live cases is a
 * second Chromium page sending a canvas over WebRTC (startSender).
 */
import { readFile } from 'node:fs/promises';
import { bodySha256 } from '../../appliance/src/credentials/request-proof.js';
import { accept, claim, claimable, present, type LinkCredential } from '../../appliance/src/credentials/link-credential.js';
import { deriveLinkSecrets } from '../../appliance/src/credentials/link-keys.js';
import { responseProof, signedEvent } from '../../appliance/src/credentials/response-proof.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

const dist = join(fileURLToPath(new URL('..', import.meta.url)), 'dist');
export const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  referer: string | null;
  /** The box's own check of the request's credential. */
  accepted: boolean;
}

/** A stub box: static page + WHEP for one link. `answer` is null for "403 link-invalid". */
export class StubBox {
  readonly seen: Seen[] = [];
  answer: ((offer: string) => Promise<string>) | null = null;
  private events: { res: http.ServerResponse; n: number; seq: number } | null = null;
  private credential: LinkCredential | undefined;
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  port = 0;

  /** `token`: the one link this box issued. */
  constructor(token: string) {
    const secrets = deriveLinkSecrets(token);
    this.credential = secrets === null ? undefined : claimable(secrets);
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
  endSession(): void {
    this.event('{"state":"ended"}');
    this.events?.res.end();
    this.credential = undefined;
  }

  private event(data: string): void {
    const e = this.events;
    if (e === null || this.credential === undefined) return;
    e.res.write(signedEvent(Buffer.from(this.credential.keys.response), e.n, e.seq++, data));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const method = req.method ?? '';
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const sec = { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };
    // The sender page (and its automatic favicon request) is the stub's, not the viewer's.
    if (url === '/sender' || url === '/favicon.ico') {
      res.writeHead(url === '/sender' ? 200 : 404, { 'content-type': 'text/html' }).end('<!doctype html><canvas id=c width=640 height=360></canvas>');
      return;
    }
    const whep = url.startsWith('/whep');
    const presented = present(req.headers.authorization);
    const acceptance = whep ? accept(this.credential, presented, { method, base: `http://${req.headers.host ?? ''}`, path: url, body }, false) : { ok: false as const };
    this.seen.push({ method, url, authorization: req.headers.authorization ?? null, referer: req.headers.referer ?? null, accepted: acceptance.ok });
    const refuse = (): void => void res.writeHead(403, { ...sec, 'content-type': 'application/json' }).end('{"error":"link-invalid","message":"unknown, used or expired link"}');
    /** Sends a response signed as the box signs it (X-Sonobox-Proof). */
    const signed = (status: number, headers: Record<string, string>, out: string, key: Buffer, n: number): void => {
      const proof = responseProof(key, { requestN: n, status, location: headers.location ?? '', key: headers['x-sonobox-key'] ?? '', link: '', requestBodySha256: bodySha256(body), responseBodySha256: bodySha256(out) });
      res.writeHead(status, { ...sec, ...headers, 'x-sonobox-proof': proof }).end(out);
    };
    if (method === 'GET' && url === '/v') {
      res.writeHead(200, { ...sec, 'content-type': 'text/html; charset=utf-8' }).end(await readFile(join(dist, 'index.html')));
    } else if (method === 'GET' && /^\/assets\/[a-z]+\.(js|css|svg)$/.test(url)) {
      const type = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }[extname(url)];
      res.writeHead(200, { ...sec, 'content-type': type ?? '' }).end(await readFile(join(dist, url)));
    } else if (!acceptance.ok || acceptance.n === null) {
      if (whep) refuse();
      else res.writeHead(404, sec).end();
    } else if (method === 'POST' && url === '/whep' && acceptance.as === 'claim' && this.answer !== null && presented.scheme === 'proof' && presented.proof.key !== null) {
      const answer = await this.answer(body);
      const claimed = claim(acceptance.credential, presented.proof.key);
      if (claimed === null) return refuse();
      this.credential = claimed.credential;
      signed(201, { 'content-type': 'application/sdp', location: '/whep/v1', 'x-sonobox-key': claimed.exchange.boxKey }, answer, Buffer.from(claimed.exchange.device.response), acceptance.n);
    } else if (method === 'GET' && url === '/whep/v1/events' && acceptance.as === 'device') {
      this.credential = acceptance.credential;
      res.writeHead(200, { ...sec, 'content-type': 'text/event-stream' });
      this.events = { res, n: acceptance.n, seq: 0 };
      this.event('{"state":"live"}');
    } else if (method === 'DELETE' && url === '/whep/v1' && acceptance.as === 'device') {
      this.credential = acceptance.credential;
      signed(200, {}, '', Buffer.from(acceptance.credential.keys.response), acceptance.n);
    } else {
      refuse();
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

