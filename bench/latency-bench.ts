/**
 * npm run bench — glass-to-glass latency and sender cost with 1, 4 and 8 viewers.
 *
 * The box runs as its own process (test pattern 1280x720@30 → x264 → werift) in the form
 * it ships in: transpiled, started by systemd/sonobox-launch (bench/shipped-app.ts); with
 * --dev, through tsx as `npm start` runs it. Each frame carries its generation time as a stamp (capture/frame-stamp.ts);
 * one viewer is a real headless Chromium that reads the stamp back from every presented
 * frame (requestVideoFrameCallback + canvas), and a headless Firefox ESR does the same in
 * the same run, over the same frames (Firefox ignores the playout-delay extension; the page
 * sets RTCRtpReceiver.jitterBufferTarget = 0 instead, web-ui/src/whep-negotiation.ts). The
 * other viewers are PacketReceivers that complete ICE/DTLS/SRTP and count packets without
 * decoding, so the 2-core machine is not saturated by rendering. Runs are interleaved
 * (1, 4, 8, 1, 4, 8, …) and medians reported.
 *
 * The sound: the box sends the test pattern's heartbeat (Opus) to every viewer; in the same
 * window Chromium's page times each tone burst against the marker frame of the same burst
 * (av-offset.ts): the A/V offset and the sound's own glass-to-glass. `--audio none` runs the
 * box without sound, for its CPU and RSS with audio off.
 *
 * Usage: npm run bench -- [--rounds N] [--seconds S] [--viewers 1,4,8] [--dev] [--no-firefox]
 *        [--jitter-buffer-target off]  (the page leaves the engines' own jitter buffer: the A/B)
 *        [--audio none] [--playout-delay MIN,MAX]  (the box's playout-delay extension: the sync A/B)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { stampReaderSource } from '../appliance/src/capture/frame-stamp.js';
import type { Browser as Firefox } from 'puppeteer-core';
import { launchChromium } from '../test/support/chromium.js';
import { haveFirefox, launchFirefox } from '../test/support/firefox.js';
import { tokenFromLink } from '../test/support/link.js';
import { evaluatorOf, openViewer, samplePresentedFrames, waitForPageState, waitForState, type PresentedFrame } from '../test/support/viewer-page.js';
import { avBursts, sampleToneOnsets } from './av-offset.js';
import { PacketReceiver } from './packet-receiver.js';
import { keepPeerConnections, readDelayCounters, receiverDelays, type ReceiverDelays } from './receiver-delays.js';
import { launcher, stageShippedApp } from './shipped-app.js';

interface RunResult {
  viewers: number;
  medianMs: number;
  p95Ms: number;
  rendered: number;
  sent: number;
  boxCpuPct: number;
  encoderCpuPct: number;
  rssMb: number;
  receiverPackets: number;
  /** Bitrate the encoder actually produced, from a packet receiver or Chromium's stats. */
  mbps: number;
  /** Firefox over the frames both browsers presented (NaN without Firefox). */
  ffMedianMs: number;
  ffP95Ms: number;
  /** Frames both browsers presented (the latencies are over these). */
  common: number;
  /** Frames Firefox presented in the window. */
  ffRendered: number;
  /** Chromium, per heartbeat burst: audio − video (ms, + = sound late), and the sound's glass-to-glass. */
  avMedianMs: number;
  avP95AbsMs: number;
  audioMedianMs: number;
  bursts: number;
  /** Chromium's own account of the two tracks' delays over the window (receiver-delays.ts). */
  delays: ReceiverDelays;
}

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const rounds = Number(opt('rounds', '3'));
const seconds = Number(opt('seconds', '10'));
const viewerCounts = opt('viewers', '1,4,8').split(',').map(Number);
/** --dev: measure the TypeScript run through tsx (npm start) instead of the shipped form. */
const devForm = args.includes('--dev');
const withFirefox = !args.includes('--no-firefox') && haveFirefox;
/** --jitter-buffer-target off: hide the attribute from the page, so it keeps each engine's buffer. */
const jitterTargetOff = opt('jitter-buffer-target', 'on') === 'off';
/** --audio none: the box sends no sound (CPU and RSS with audio off; no A/V columns). */
const audioDevice = opt('audio', 'auto');
/** --playout-delay MIN,MAX: passed to the box (webrtc.playoutDelay); default: the box's own. */
const playoutDelay = opt('playout-delay', '');
const FPS = 30;
const hideJitterBufferTarget = (): void => {
  delete (RTCRtpReceiver.prototype as unknown as { jitterBufferTarget?: unknown }).jitterBufferTarget;
};
const CLK_TCK = 100; // getconf CLK_TCK on Linux
const loadBefore = loadavg()[0]!;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const median = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

async function startBox(port: number, shippedApp: string | undefined): Promise<ChildProcess> {
  const boxArgs = ['--port', String(port), '--host', '127.0.0.1', '--ice-host', '127.0.0.1',
    '--source', 'test-pattern:speckle', '--encoder', 'software', '--max-viewers', String(Math.max(...viewerCounts) + 1),
    '--no-session', '--display', 'png', '--button', 'terminal', '--audio', audioDevice, ...(playoutDelay ? ['--playout-delay', playoutDelay] : []),
    '--mask-preset', 'none']; // the stamp and the heartbeat marker sit in the top band the default mask blanks
  const env = { ...process.env, SONOBOX_LOG_LEVEL: 'warn' };
  const box = shippedApp
    ? spawn(launcher, boxArgs, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...env, SONOBOX_APP_DIR: shippedApp } })
    : spawn(process.execPath, ['--import', 'tsx', 'appliance/src/main.ts', ...boxArgs], { stdio: ['ignore', 'pipe', 'inherit'], env });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    box.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Listening on port')) resolve();
    });
    box.on('exit', (code) => reject(new Error(`box exited with ${code}`)));
  });
  return box;
}

async function api(base: string, method: string, path: string): Promise<Response> {
  return fetch(new URL(path, base), { method });
}

async function streamStats(base: string): Promise<{ accessUnitsOut: number; bytesOut: number }> {
  const s = (await (await api(base, 'GET', '/api/status')).json()) as { stream: { accessUnitsOut: number; bytesOut: number } };
  return s.stream;
}

async function run(base: string, boxPid: number, browser: Awaited<ReturnType<typeof launchChromium>>, firefox: Firefox | undefined, viewers: number): Promise<RunResult> {
  await api(base, 'DELETE', '/api/session');
  const links: string[] = [];
  for (let i = 0; i < viewers + (firefox ? 1 : 0); i++) {
    const r = await api(base, 'POST', '/api/session');
    if (r.status !== 201) throw new Error(`POST /api/session answered ${r.status}`);
    links.push(((await r.json()) as { link: string }).link);
  }
  const page = await openViewer(browser, links[0]!, (p) => {
    void p.addInitScript(keepPeerConnections);
    if (jitterTargetOff) void p.addInitScript(hideJitterBufferTarget);
  });
  await waitForState(page, 'live');
  let ffPage: Awaited<ReturnType<Firefox['newPage']>> | undefined;
  if (firefox) {
    ffPage = await firefox.newPage();
    await ffPage.evaluateOnNewDocument('globalThis.__name = (f) => f'); // tsx keepNames, as openViewer does
    if (jitterTargetOff) await ffPage.evaluateOnNewDocument(hideJitterBufferTarget);
    await ffPage.goto(links[viewers]!);
    await waitForPageState(evaluatorOf(ffPage), 'live', 30_000);
  }
  const receivers = links.slice(1, viewers).map(() => new PacketReceiver(base));
  await Promise.all(receivers.map((rc, i) => rc.connect(tokenFromLink(links[i + 1]!))));
  await new Promise((r) => setTimeout(r, 3000)); // warm-up: jitter buffers settle, IDRs pass
  const encoderPid = childPids(boxPid)[0];
  const ticks0 = cpuTicks(boxPid);
  const enc0 = encoderPid ? cpuTicks(encoderPid) : 0;
  const sent0 = await streamStats(base);
  const pkts0 = receivers.reduce((a, r) => a + r.packets, 0);
  const t0 = performance.now();
  const counters0 = await readDelayCounters(page);
  // RSS is sampled through the run and its peak reported: one reading at the end would
  // land before or after a garbage collection by chance.
  let peakRss = rssMb(boxPid);
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssMb(boxPid))), 250);
  // Both browsers sample over the same seconds; latencies are compared on the frames both
  // presented (same seq), so the two columns are the same frames through two engines.
  const [chromiumFrames, firefoxFrames, onsets] = await Promise.all([
    // The same wall-clock window for both; what each presents in it is the measurement.
    samplePresentedFrames(page, stampReaderSource, seconds * FPS, seconds * 1000 + 500, true),
    ffPage ? samplePresentedFrames(ffPage, stampReaderSource, seconds * FPS, seconds * 1000 + 500, true) : Promise.resolve([] as PresentedFrame[]),
    audioDevice === 'none' ? Promise.resolve([] as number[]) : sampleToneOnsets(page, seconds * 1000),
  ]).finally(() => clearInterval(rssTimer));
  const delays = receiverDelays(counters0, await readDelayCounters(page));
  const bursts = avBursts(chromiumFrames, onsets, FPS);
  const ffBySeq = new Map(firefoxFrames.map((f) => [f.seq, f]));
  const common = ffPage ? chromiumFrames.filter((f) => ffBySeq.has(f.seq)) : chromiumFrames;
  const frames = chromiumFrames;
  const elapsedS = (performance.now() - t0) / 1000;
  const sent1 = await streamStats(base);
  const sent = sent1.accessUnitsOut - sent0.accessUnitsOut;
  const result: RunResult = (() => {
    const lat = common.map((f) => f.presentedMs - f.timeMs).sort((a, b) => a - b);
    const ffLat = common.filter((f) => ffBySeq.has(f.seq)).map((f) => ffBySeq.get(f.seq)!.presentedMs - f.timeMs).sort((a, b) => a - b);
    return {
      viewers,
      medianMs: quantile(lat, 0.5),
      p95Ms: quantile(lat, 0.95),
      ffMedianMs: ffPage && ffLat.length ? quantile(ffLat, 0.5) : NaN,
      ffP95Ms: ffPage && ffLat.length ? quantile(ffLat, 0.95) : NaN,
      common: ffPage ? ffLat.length : NaN,
      ffRendered: ffPage ? firefoxFrames.length : NaN,
      rendered: frames.length,
      sent,
      boxCpuPct: ((cpuTicks(boxPid) - ticks0) / CLK_TCK / elapsedS) * 100,
      encoderCpuPct: encoderPid ? ((cpuTicks(encoderPid) - enc0) / CLK_TCK / elapsedS) * 100 : NaN,
      rssMb: Math.max(peakRss, rssMb(boxPid)),
      receiverPackets: receivers.reduce((a, r) => a + r.packets, 0) - pkts0,
      mbps: ((sent1.bytesOut - sent0.bytesOut) * 8) / elapsedS / 1e6,
      avMedianMs: bursts.length ? median(bursts.map((b) => b.offsetMs)) : NaN,
      avP95AbsMs: bursts.length ? quantile(bursts.map((b) => Math.abs(b.offsetMs)).sort((a, b) => a - b), 0.95) : NaN,
      audioMedianMs: bursts.length ? median(bursts.map((b) => b.audioMs)) : NaN,
      bursts: bursts.length,
      delays,
    };
  })();
  await Promise.all(receivers.map((r) => r.close()));
  await page.context().close();
  await ffPage?.close();
  await api(base, 'DELETE', '/api/session');
  return result;
}

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The shipped form gets the viewer build from stage-app.sh; tsx serves web-ui/dist as is.
  if (devForm) execFileSync('npm', ['run', '-s', 'build:ui'], { stdio: ['ignore', process.stderr, 'inherit'] });
  const shippedApp = devForm ? undefined : stageShippedApp();
  const box = await startBox(port, shippedApp);
  const browser = await launchChromium();
  // Firefox on loopback offers its host addresses in the clear (two ICE preferences), so no
  // mDNS query leaves this machine for its LAN; ICE settings do not change the latency.
  const firefox = withFirefox
    ? await launchFirefox({ prefs: { 'media.peerconnection.ice.obfuscate_host_addresses': false, 'media.peerconnection.ice.loopback': true } })
    : undefined;
  const results: RunResult[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const n of viewerCounts) {
        const r = await run(base, box.pid!, browser, firefox, n);
        results.push(r);
        console.error(`round ${round + 1}/${rounds}, ${n} viewer(s)${firefox ? ' + Firefox' : ''}: Chromium median ${r.medianMs.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms, Firefox median ${r.ffMedianMs.toFixed(1)} ms, p95 ${r.ffP95Ms.toFixed(1)} ms over ${r.common} common frames, box CPU ${r.boxCpuPct.toFixed(1)} %, RSS ${r.rssMb.toFixed(0)} MB, receivers got ${r.receiverPackets} packets, ${r.mbps.toFixed(2)} Mbit/s, A/V offset median ${r.avMedianMs.toFixed(1)} ms (|p95| ${r.avP95AbsMs.toFixed(1)} ms, sound ${r.audioMedianMs.toFixed(1)} ms) over ${r.bursts} bursts; Chromium's delays: audio jitter buffer ${r.delays.audioJitterMs.toFixed(1)} ms (target ${r.delays.audioTargetMs.toFixed(1)} ms, minimum ${r.delays.audioMinimumMs.toFixed(1)} ms), audio playout ${r.delays.audioPlayoutMs.toFixed(1)} ms, video jitter buffer ${r.delays.videoJitterMs.toFixed(1)} ms (target ${r.delays.videoTargetMs.toFixed(1)} ms, minimum ${r.delays.videoMinimumMs.toFixed(1)} ms), video processing ${r.delays.videoProcessingMs.toFixed(1)} ms; by the SRs (now − estimatedPlayoutTimestamp): audio ${r.delays.audioBelievedMs.toFixed(1)} ms, video ${r.delays.videoBelievedMs.toFixed(1)} ms`);
      }
    }
  } finally {
    await browser.close();
    await firefox?.close();
    box.kill('SIGTERM');
    await new Promise((r) => box.once('exit', r));
    if (shippedApp) rmSync(shippedApp, { recursive: true, force: true });
  }
  const rows = viewerCounts.map((n) => {
    const rs = results.filter((r) => r.viewers === n);
    const m = (k: keyof RunResult): number => median(rs.map((r) => r[k] as number));
    return { n, median: m('medianMs'), p95: m('p95Ms'), ffMedian: m('ffMedianMs'), ffP95: m('ffP95Ms'), common: m('common'), ffRendered: m('ffRendered'), rendered: m('rendered'), sent: m('sent'), box: m('boxCpuPct'), enc: m('encoderCpuPct'), rss: m('rssMb'), av: m('avMedianMs'), avP95: m('avP95AbsMs'), audio: m('audioMedianMs'), bursts: m('bursts') };
  });
  const one = rows.find((r) => r.n === 1);
  console.log(`\nsonobox bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, load average before ${loadBefore.toFixed(2)}, ${rounds} interleaved round(s) of ${seconds} s, 1280x720@30 test pattern with speckle, x264 superfast, ${(median(results.map((r) => r.mbps))).toFixed(1)} Mbit/s sent, box ${shippedApp ? 'as shipped (transpiled, systemd/sonobox-launch)' : 'through tsx (--dev)'}${firefox ? `, ${await firefox.version().catch(() => 'Firefox')} beside Chromium in every run` : ''}, jitterBufferTarget ${jitterTargetOff ? 'off' : '0'}, playout-delay ${playoutDelay || "the box's default"}, sound ${audioDevice === 'none' ? 'off (--audio none)' : 'the heartbeat (Opus 48 kHz, 20 ms)'}\n`);
  console.log('| viewers | Chromium median | p95 | Firefox median | p95 | common frames | frames rendered: Chromium / Firefox / sent | box CPU (1 core = 100 %) | per extra viewer | x264 CPU | box RSS (peak) | A/V offset median (+ = sound late) | \\|A/V\\| p95 | sound glass-to-glass | bursts |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '—');
  for (const r of rows) {
    const extra = one && r.n > 1 ? `${((r.box - one.box) / (r.n - 1)).toFixed(1)} %` : '—';
    const label = firefox ? `${r.n} + Firefox` : String(r.n);
    console.log(`| ${label} | ${ms(r.median)} | ${ms(r.p95)} | ${ms(r.ffMedian)} | ${ms(r.ffP95)} | ${Number.isFinite(r.common) ? r.common : '—'} | ${r.rendered} / ${Number.isFinite(r.ffRendered) ? r.ffRendered : '—'} / ${r.sent} | ${r.box.toFixed(1)} % | ${extra} | ${r.enc.toFixed(1)} % | ${r.rss.toFixed(0)} MB | ${ms(r.av)} | ${ms(r.avP95)} | ${ms(r.audio)} | ${r.bursts} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
