/**
 * systemd integration (sd_notify(3)): READY=1 once the pipeline and the HTTP server are up,
 * then WATCHDOG=1 only while access units actually flow. A hung encoder, a dead source
 * loop or a blocked event loop stops the feeding, and systemd restarts the service
 * (WatchdogSec= in systemd/sonobox.service). Outside systemd (no NOTIFY_SOCKET) it does nothing.
 */
import { spawn } from 'node:child_process';
import notify from 'systemd-notify';
import { captureClockMs } from '../media/raw-frame.js';
import type { Logger } from './logger.js';

export interface SystemdIntegrationOptions {
  app: { status(): object; pipeline: { status(): { lastAccessUnitAtMs: number } } };
  logger: Logger;
  version: string;
  env?: NodeJS.ProcessEnv;
}

/** Whether the watchdog may be fed: an access unit came out of the encoder recently. */
export function pipelineIsFlowing(lastAccessUnitAtMs: number, nowMs: number, maxAgeMs: number): boolean {
  return lastAccessUnitAtMs > 0 && nowMs - lastAccessUnitAtMs <= maxAgeMs;
}

export function startSystemdIntegration(o: SystemdIntegrationOptions): { stop(): void } {
  const env = o.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return { stop: () => {} };
  notify({ ready: true, status: `sonobox ${o.version} streaming` }).catch((e: unknown) =>
    o.logger.warn(`Could not tell systemd we are ready (${String(e)}); is the systemd-notify binary installed?`),
  );
  const watchdogUs = Number(env.WATCHDOG_USEC ?? 0);
  if (!watchdogUs) return { stop: () => {} };
  // Feed at half the period, as sd_watchdog_enabled(3) advises.
  const periodMs = watchdogUs / 2000;
  let starving = false;
  const timer = setInterval(() => {
    const flowing = pipelineIsFlowing(o.app.pipeline.status().lastAccessUnitAtMs, captureClockMs(), periodMs);
    if (!flowing) {
      if (!starving) o.logger.error('No video has come out of the encoder for a while; not feeding the watchdog, systemd will restart the service');
      starving = true;
      return;
    }
    starving = false;
    // The npm package has no WATCHDOG=1, so the same binary is spawned directly.
    const child = spawn('systemd-notify', [`--pid=${process.pid}`, 'WATCHDOG=1'], { stdio: 'ignore' });
    child.on('error', () => undefined);
  }, periodMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
