// Runs Firefox inside a network namespace for puppeteer, which stays outside it.
// Usage (as the executablePath wrapper does): ip netns exec NS node firefox-netns-relay.mjs SOCKET HOSTPORT FIREFOX [ARGS…]
//
// Why: puppeteer talks WebDriver BiDi to Firefox over a WebSocket on 127.0.0.1:<port>,
// but that is the namespace's own loopback. This process, inside the namespace, starts
// Firefox, relays a Unix socket (file systems are shared across network namespaces) to
// Firefox's port, and holds back Firefox's "WebDriver BiDi listening on" line until that
// relay is up. Firefox is told to listen on HOSTPORT, the port test/support/firefox.ts
// relays back to the Unix socket on the outside: the remote agent refuses a handshake whose
// Host header names another port (its DNS-rebinding check), so both ends use one number.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const [socketPath, hostPort, firefox, ...args] = process.argv.slice(2);
const child = spawn(firefox, args.map((a) => (a.startsWith('--remote-debugging-port=') ? `--remote-debugging-port=${hostPort}` : a)), {
  stdio: ['ignore', 'inherit', 'pipe'],
});
let server;
createInterface({ input: child.stderr }).on('line', (line) => {
  const m = /^WebDriver BiDi listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(line);
  if (!m) return void process.stderr.write(`${line}\n`);
  const port = Number(m[1]);
  server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end);
    upstream.on('error', end);
  });
  server.listen(socketPath, () => process.stderr.write(`${line}\n`));
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  server?.close();
  process.exit(code ?? (signal ? 1 : 0));
});
