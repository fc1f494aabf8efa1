/**
 * The box as a phone on the clinic network meets it: `npm start`'s own command line
 * (appliance/src/main.ts through tsx) run inside the box's network namespace (the box end
 * of a namespace pair, or a host of a sniff-and-replay LAN), listening
 * on 0.0.0.0 with no --ice-host, its link on its veth address. Box-only routes
 * (/api/session) are called from inside its namespace, i.e. from the box itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createNetnsPair, type NetnsPair } from './netns.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export interface NetnsBox {
  /** The link printed at start-up (`Link: …`). */
  readonly link: string;
  /** `http://<box veth address>:8080`. */
  readonly base: string;
  /** Every log line so far (JSON text from pino). */
  readonly logs: string[];
  /** A box-only API call made from inside the box's namespace; JSON body or text. */
  api(method: 'POST' | 'DELETE' | 'GET', path: string): Promise<{ status: number; body: string }>;
  /** A fresh one-time link (POST /api/session from the box itself: a session or its next link). */
  newLink(): Promise<string>;
  /** Resolves with the first log line matching `pattern` (waits up to `timeoutMs`). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the box in namespace `box.ns` (nothing else of the namespace is needed). */
export async function startNetnsBox(box: { readonly ns: string }, extraArgs: readonly string[] = []): Promise<NetnsBox> {
  const args = ['--import', 'tsx', 'appliance/src/main.ts', '--port', '8080', '--source', 'test-pattern', '--encoder', 'software',
    '--display', 'png', '--button', 'terminal', '--mask-preset', 'none', ...extraArgs]; // none: the tests read the stamp the default mask blanks
  const child: ChildProcess = spawn('ip', ['netns', 'exec', box.ns, process.execPath, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SONOBOX_LOG_LEVEL: 'info' },
  });
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let exited: string | undefined;
  let partial = '';
  const onData = (d: Buffer): void => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('exit', (code, signal) => (exited = `box exited (${code ?? signal})`));

  const waitForLog = (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    const seen = logs.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no box log line matching ${pattern} within ${timeoutMs} ms${exited ? `; ${exited}` : ''}:\n${logs.slice(-20).join('\n')}`)), timeoutMs);
      waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  };
  const first = await waitForLog(/^Link: /, 60_000);
  const link = first.slice('Link: '.length).trim();
  const api = (method: string, path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      execFile('ip', ['netns', 'exec', box.ns, 'curl', '-s', '-X', method, '-w', '\n%{http_code}', `http://127.0.0.1:8080${path}`], (error, stdout) => {
        if (error) return reject(error);
        const i = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
      });
    });
  return {
    link,
    base: new URL(link).origin,
    logs,
    api,
    async newLink() {
      const r = await api('POST', '/api/session');
      if (r.status !== 201) throw new Error(`POST /api/session answered ${r.status}: ${r.body}`);
      return (JSON.parse(r.body) as { link: string }).link;
    },
    waitForLog,
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}


/** What useNetnsBox() sets up for a test file; read its fields inside tests only. */
export interface NetnsSession<B> {
  readonly pair: NetnsPair;
  readonly box: NetnsBox;
  /** What `launch` gave for the phone's side (a browser), if anything. */
  readonly phone: B;
}

/**
 * beforeAll/afterAll for a file: a fresh namespace pair tagged `tag`, `before` (e.g. nft
 * counters) applied to it, the box started in its box end with `boxArgs`, then `launch`
 * for the phone end; all torn down in reverse.
 */
export function useNetnsBox<B extends { close(): Promise<unknown> } | undefined>(
  tag: string,
  boxArgs: readonly string[],
  launch: (pair: NetnsPair) => Promise<B>,
  before?: (pair: NetnsPair) => void,
): NetnsSession<B> {
  const session = {} as { pair: NetnsPair; box: NetnsBox; phone: B };
  beforeAll(async () => {
    session.pair = createNetnsPair(tag);
    before?.(session.pair);
    session.box = await startNetnsBox(session.pair.box, boxArgs);
    session.phone = await launch(session.pair);
  });
  afterAll(async () => {
    await session.phone?.close();
    await session.box?.stop();
    session.pair?.close();
  });
  return session;
}
