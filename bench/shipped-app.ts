/**
 * The service as the image and the .deb ship it, for the benchmark to measure: our
 * TypeScript transpiled file by file (as image-build/stage-app.sh does), started through
 * systemd/sonobox-launch with the node flags the unit uses. Running the TypeScript through
 * tsx instead (as `npm start` does) adds tsx's loader thread and source maps: ~35 MB of RSS
 * and some CPU that no box carries.
 *
 * Unlike stage-app.sh this does not run `npm ci --omit=dev`: the staged tree links the
 * checkout's node_modules, native helper and viewer build, so it costs a second, not a
 * download. What the service imports is the same either way (stage-app.sh proves that
 * production dependencies alone resolve it).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Stages the shipped form under a fresh temporary directory and returns its path. */
export async function stageShippedApp(): Promise<string> {
  const app = mkdtempSync(join(tmpdir(), 'sonobox-shipped-'));
  const src = join(repo, 'appliance/src');
  // Tests and their fixtures stay behind, as in stage-app.sh.
  const all = filesUnder(src).filter((f) => !/\.test\.ts$/.test(f) && !relative(src, f).split('/').includes('test'));
  const ts = all.filter((f) => f.endsWith('.ts'));
  await build({
    entryPoints: ts,
    outbase: src,
    outdir: join(app, 'appliance/src'),
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    logLevel: 'warning',
  });
  // Assets the code reads next to itself (mask presets, fonts' data…).
  for (const f of all.filter((f) => !f.endsWith('.ts'))) {
    const to = join(app, 'appliance/src', relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  symlinkSync(join(repo, 'appliance/native'), join(app, 'appliance/native'));
  symlinkSync(join(repo, 'node_modules'), join(app, 'node_modules'));
  mkdirSync(join(app, 'web-ui'));
  symlinkSync(join(repo, 'web-ui/dist'), join(app, 'web-ui/dist'));
  copyFileSync(join(repo, 'package.json'), join(app, 'package.json'));
  return app;
}

/** The launcher the systemd unit runs (it execs node, so its pid is the service's). */
export const launcher = join(repo, 'systemd/sonobox-launch');
