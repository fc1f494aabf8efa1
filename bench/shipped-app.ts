/**
 * The service as the image and the .deb ship it, for the benchmark to measure: staged by
 * image-build/stage-app.sh (our TypeScript transpiled file by file, the viewer build) and
 * started through systemd/sonobox-launch with the node flags the unit uses. Running the
 * TypeScript through tsx instead (as `npm start` does) adds tsx's loader thread and source
 * maps: ~35 MB of RSS and some CPU that no box carries.
 *
 * SONOBOX_STAGE_DEPS=link has stage-app.sh link the checkout's node_modules instead of
 * running `npm ci --omit=dev`: seconds, not a download, and the same modules are imported.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Stages the shipped form under a fresh temporary directory and returns its path. */
export function stageShippedApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'sonobox-shipped-'));
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  execFileSync('bash', [join(repo, 'image-build/stage-app.sh'), arch, app], {
    stdio: ['ignore', process.stderr, 'inherit'], // stdout is the bench's table
    env: { ...process.env, SONOBOX_STAGE_DEPS: 'link' },
  });
  return app;
}

/** The launcher the systemd unit runs (it execs node, so its pid is the service's). */
export const launcher = join(repo, 'systemd/sonobox-launch');
