import type { Browser, Page } from 'playwright-core';

/** One presented frame as read back from the page: the stamp the box drew, and when Chromium showed it. */
export interface PresentedFrame {
  seq: number;
  /** Generation time written into the frame by the box (epoch ms). */
  timeMs: number;
  /** When Chromium presented it (epoch ms, from requestVideoFrameCallback). */
  presentedMs: number;
}

/** Opens the viewer page at `link` in a fresh browser context (a separate "device"). */
export async function openViewer(browser: Browser, link: string, beforeGoto?: (page: Page) => void): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  // tsx (the bench runs under it) compiles with esbuild's keepNames, which wraps inner
  // functions of page.evaluate callbacks in a __name() helper the page does not have.
  await context.addInitScript('globalThis.__name = (f) => f');
  const page = await context.newPage();
  beforeGoto?.(page);
  await page.goto(link);
  return page;
}

/** Waits until the page reports `state` (document.body.dataset.state). */
export async function waitForState(page: Page, state: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: timeoutMs, polling: 50 });
}

export async function pageState(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.body.dataset.state);
}

/**
 * Reads the box's frame stamps back from `count` rendered frames, using
 * requestVideoFrameCallback + canvas. `readerSource` is the self-contained stamp reader
 * (capture/frame-stamp.ts: stampReaderSource). Frames whose stamp cannot be read are
 * skipped; the call fails if fewer than `count` are read within the timeout, unless `partial`
 * (the benchmark: what a loaded machine presents in a fixed time is the measurement).
 */
export async function samplePresentedFrames(page: Page | { evaluate: unknown }, readerSource: string, count: number, timeoutMs = 20_000, partial = false): Promise<PresentedFrame[]> {
  // Either driver (playwright for Chromium, puppeteer for Firefox): see evaluatorOf.
  return evaluatorOf(page)(
    ({ readerSource, count, timeoutMs, partial }) =>
      new Promise<PresentedFrame[]>((resolve, reject) => {
        // <sonobox-viewer> renders into the light DOM (its CSS is an external sheet for the CSP).
        const video = document.querySelector('video');
        if (!video) return reject(new Error('no <video> on the page'));
        const read = new Function(`return (${readerSource})`)() as (d: Uint8ClampedArray, w: number, h: number) => { seq: number; timeMs: number } | null;
        const canvas = document.createElement('canvas');
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const out: PresentedFrame[] = [];
        const timer = setTimeout(() => (partial ? resolve(out) : reject(new Error(`read ${out.length} of ${count} frames in ${timeoutMs} ms`))), timeoutMs);
        const onFrame = (_now: number, meta: { presentationTime: number; width: number; height: number }): void => {
          const w = meta.width, h = meta.height;
          if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
          ctx.drawImage(video, 0, 0, w, h);
          const stamp = read(ctx.getImageData(0, 0, w, h).data, w, h);
          if (stamp) out.push({ seq: stamp.seq, timeMs: stamp.timeMs, presentedMs: performance.timeOrigin + meta.presentationTime });
          if (out.length >= count) { clearTimeout(timer); resolve(out); return; }
          video.requestVideoFrameCallback(onFrame as never);
        };
        video.requestVideoFrameCallback(onFrame as never);
      }),
    { readerSource, count, timeoutMs, partial },
  );
}

/**
 * `page.evaluate` of either driver: playwright's and puppeteer's both take (function, arg),
 * so the same in-page helpers serve Chromium (playwright) and Firefox (puppeteer, BiDi).
 */
export type Evaluate = <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>;
export function evaluatorOf(page: { evaluate: unknown }): Evaluate {
  const evaluate = page.evaluate as (fn: unknown, arg: unknown) => Promise<unknown>;
  return ((fn: unknown, arg: unknown) => evaluate.call(page, fn, arg)) as Evaluate;
}

/** Polls document.body.dataset.state until it is `state`; fails with the last state seen. */
export async function waitForPageState(evaluate: Evaluate, state: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let seen: string | undefined;
  while (performance.now() < deadline) {
    seen = await evaluate(() => document.body.dataset.state, null);
    if (seen === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`page state is "${seen}", not "${state}", after ${timeoutMs} ms`);
}

export interface FrameCount {
  /** Frames presented (requestVideoFrameCallback calls) until `count` was reached. */
  frames: number;
  width: number;
  height: number;
  /** The box's stamp read back from the first and the last of them. */
  first: { seq: number; timeMs: number } | null;
  last: { seq: number; timeMs: number } | null;
}

/**
 * Counts `count` presented frames with requestVideoFrameCallback, reading the box's stamp
 * (capture/frame-stamp.ts) from the first and the last only: cheap enough for a loaded
 * machine, while proving the picture is live (the frame counter moved).
 */
export function countPresentedFrames(evaluate: Evaluate, readerSource: string, count: number, timeoutMs = 30_000): Promise<FrameCount> {
  return evaluate(
    ({ readerSource, count, timeoutMs }) =>
      new Promise<FrameCount>((resolve, reject) => {
        const video = document.querySelector('video') as (HTMLVideoElement & { requestVideoFrameCallback(cb: (now: number, meta: { width: number; height: number }) => void): number }) | null;
        if (!video) return reject(new Error('no <video> on the page'));
        const read = new Function(`return (${readerSource})`)() as (d: Uint8ClampedArray, w: number, h: number) => { seq: number; timeMs: number } | null;
        const canvas = document.createElement('canvas');
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const stamp = (w: number, h: number): { seq: number; timeMs: number } | null => {
          canvas.width = w;
          canvas.height = h;
          ctx.drawImage(video, 0, 0, w, h);
          return read(ctx.getImageData(0, 0, w, h).data, w, h);
        };
        const out: FrameCount = { frames: 0, width: 0, height: 0, first: null, last: null };
        const timer = setTimeout(() => reject(new Error(`${out.frames} of ${count} frames presented in ${timeoutMs} ms`)), timeoutMs);
        const onFrame = (_now: number, meta: { width: number; height: number }): void => {
          out.frames++;
          out.width = meta.width;
          out.height = meta.height;
          if (out.first === null) out.first = stamp(meta.width, meta.height);
          if (out.frames >= count) {
            out.last = stamp(meta.width, meta.height);
            clearTimeout(timer);
            resolve(out);
            return;
          }
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      }),
    { readerSource, count, timeoutMs },
  );
}

/** What the page sent and got on its WHEP POSTs (recordWhepExchange). */
export interface WhepExchange {
  offers: string[];
  answers: string[];
}

/**
 * In-page init script (addInitScript / evaluateOnNewDocument): keeps the SDP of every WHEP
 * POST and of its answer in window.__whep, so a test can see the candidates a browser
 * really offered with its default ICE.
 */
export function recordWhepExchange(): void {
  const record: WhepExchange = { offers: [], answers: [] };
  (window as unknown as { __whep: WhepExchange }).__whep = record;
  const original = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const post = init?.method === 'POST' && typeof init.body === 'string';
    if (post) record.offers.push(init.body as string);
    const response = await original(input, init);
    if (post && response.status === 201) record.answers.push(await response.clone().text());
    return response;
  };
}

export const whepExchange = (evaluate: Evaluate): Promise<WhepExchange> =>
  evaluate(() => (window as unknown as { __whep: WhepExchange }).__whep, null);

/**
 * Box flags for suites that also play as a standard WHEP player (playWhepAudioVideo): such
 * players send `Authorization: Bearer <token>`, which the box takes over plain HTTP only
 * when the operator allows it (session.whepBearer, docs/credential-scheme.md §8). The
 * viewer page never sends it, so the page's own tests in the suite are unchanged by it.
 */
export const bearerForPlayers = ['--whep-bearer', 'always'] as const;

/**
 * In the page: a standard WHEP player's offer (audio AND video recvonly, as most players send),
 * POSTed with `Authorization: Bearer <token>`; resolves with what arrived: the audio direction the box answered and
 * the video frames the browser presented within `ms`.
 */
export function playWhepAudioVideo(evaluate: Evaluate, token: string, ms: number): Promise<{ status: number; audioDirection: string | null; frames: number; width: number }> {
  return evaluate(
    async ({ token, ms }) => {
      const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
      const audio = pc.addTransceiver('audio', { direction: 'recvonly' });
      const video = pc.addTransceiver('video', { direction: 'recvonly' });
      const h264 = (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).filter((c) => /h264/i.test(c.mimeType));
      video.setCodecPreferences?.(h264);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 3000);
      });
      const response = await fetch('/whep', { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: pc.localDescription!.sdp });
      if (response.status !== 201) return { status: response.status, audioDirection: null, frames: 0, width: 0 };
      await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
      const el = document.createElement('video') as HTMLVideoElement & { requestVideoFrameCallback(cb: () => void): number };
      el.muted = true;
      el.playsInline = true;
      document.body.append(el);
      el.srcObject = new MediaStream([video.receiver.track]);
      void el.play().catch(() => undefined);
      let frames = 0;
      const tick = (): void => {
        frames++;
        el.requestVideoFrameCallback(tick);
      };
      el.requestVideoFrameCallback(tick);
      await new Promise((r) => setTimeout(r, ms));
      const result = { status: 201, audioDirection: audio.currentDirection, frames, width: el.videoWidth };
      pc.close();
      el.remove();
      return result;
    },
    { token, ms },
  );
}
