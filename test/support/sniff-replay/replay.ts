/**
 * Replays captured requests from another host of the LAN, byte for byte, each on its own
 * connection, and returns what the server answered.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { responseHead } from './http-framing.js';
import type { LanHost } from './lan.js';
import type { Ending } from './replay-client.js';

export interface Replayed {
  readonly request: Buffer;
  readonly response: Buffer;
  /** null when no response head arrived. */
  readonly status: number | null;
  readonly ending: Ending;
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const client = fileURLToPath(new URL('./replay-client.ts', import.meta.url));

export interface ReplayOptions {
  /** An answer that stops arriving for this long is taken as it is (event streams). */
  readonly settleMs?: number;
  readonly timeoutMs?: number;
}

export async function replayFrom(host: LanHost, target: { readonly address: string; readonly port: number }, requests: readonly Buffer[], o: ReplayOptions = {}): Promise<Replayed[]> {
  const job = { address: target.address, port: target.port, requests: requests.map((r) => r.toString('base64')), settleMs: o.settleMs ?? 500, timeoutMs: o.timeoutMs ?? 10_000 };
  const [cmd, ...args] = host.argv([process.execPath, '--import', tsx, client]);
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.end(JSON.stringify(job));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`The replay client in ${host.ns} failed (${code}): ${err.trim()}`);
  const results = JSON.parse(out) as Array<{ response: string; ending: Ending }>;
  return results.map((r, i) => {
    const response = Buffer.from(r.response, 'base64');
    return { request: requests[i]!, response, status: responseHead(response)?.status ?? null, ending: r.ending };
  });
}
