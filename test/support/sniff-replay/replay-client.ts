/**
 * Runs inside the replaying host's namespace (spawned by replay.ts): sends each request's
 * exact bytes on a fresh TCP connection and collects the answer until it is complete
 * (framing), the server closes, or nothing more arrives for `settleMs` (an event stream).
 * Input: JSON on stdin; output: JSON on stdout. No request is changed in any way.
 */
import { connect } from 'node:net';
import { messageLength } from './http-framing.js';

interface Job {
  readonly address: string;
  readonly port: number;
  /** base64 of each raw request. */
  readonly requests: readonly string[];
  readonly settleMs: number;
  readonly timeoutMs: number;
}

export type Ending = 'complete' | 'closed' | 'quiet' | 'timeout' | 'error';

function replayOne(job: Job, raw: Buffer): Promise<{ response: string; ending: Ending }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: job.address, port: job.port });
    let quiet: NodeJS.Timeout | undefined;
    const finish = (ending: Ending): void => {
      clearTimeout(quiet);
      clearTimeout(overall);
      socket.destroy();
      resolve({ response: Buffer.concat(chunks).toString('base64'), ending });
    };
    const overall = setTimeout(() => finish('timeout'), job.timeoutMs);
    const armQuiet = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => finish('quiet'), job.settleMs);
    };
    socket.once('connect', () => {
      socket.write(raw);
      armQuiet();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (messageLength(Buffer.concat(chunks), 0, 'response') !== null) finish('complete');
      else armQuiet();
    });
    socket.once('end', () => finish('closed'));
    socket.once('error', () => finish('error'));
  });
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c: string) => (input += c));
process.stdin.on('end', async () => {
  const job = JSON.parse(input) as Job;
  const results = [];
  for (const r of job.requests) results.push(await replayOne(job, Buffer.from(r, 'base64')));
  process.stdout.write(JSON.stringify(results));
});
