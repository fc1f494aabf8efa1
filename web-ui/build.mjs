// Builds the viewer page into web-ui/dist/, which the box serves as:
//   GET /v                      → dist/index.html
//   GET /assets/viewer.js       → the bundle (lit included; no other runtime code)
//   GET /assets/viewer.css      → the only stylesheet (CSP: no inline style)
//   GET /assets/icon.svg        → favicon
// Usage: node web-ui/build.mjs   (npm run build:ui)
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const assets = join(dist, 'assets');

const started = performance.now();
await rm(dist, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

await build({
  entryPoints: [
    { in: join(root, 'src/main.ts'), out: 'viewer' },
    { in: join(root, 'src/viewer.css'), out: 'viewer' },
  ],
  outdir: assets,
  bundle: true,
  format: 'esm',
  minify: true,
  // iOS 15 Safari is the oldest phone browser we promise; esbuild lowers syntax to it.
  target: ['es2020', 'safari15', 'ios15', 'chrome100', 'firefox100'],
  tsconfig: join(root, 'tsconfig.json'),
  legalComments: 'eof',
  sourcemap: false,
  logLevel: 'warning',
});
await copyFile(join(root, 'index.html'), join(dist, 'index.html'));
await copyFile(join(root, 'src/icon.svg'), join(assets, 'icon.svg'));

console.log(`web-ui built into ${dist} in ${Math.round(performance.now() - started)} ms`);
