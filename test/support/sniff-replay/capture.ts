/**
 * A packet capture with Debian's tcpdump on one host's interface, kept in memory (pcap on
 * tcpdump's stdout), so nothing captured ever reaches the disk.
 *
 * `--immediate-mode` matters: without it libpcap hands packets over in blocks with a
 * timeout (TPACKET_V3), and whatever is still in the current block when tcpdump is stopped
 * is lost ("8 packets received by filter", "6 packets captured"). `-U` then writes each
 * packet as it comes.
 */
import { spawn } from 'node:child_process';
import type { LanHost } from './lan.js';

export interface Capture {
  /** Stops tcpdump (SIGINT: it flushes and exits) and returns the pcap bytes. */
  stop(): Promise<Buffer>;
}

/** Starts capturing `filter` (pcap-filter(7)) on the host's interface; resolves once tcpdump listens. */
export function startCapture(host: LanHost, filter: string, timeoutMs = 15_000): Promise<Capture> {
  const [cmd, ...args] = host.argv(['tcpdump', '-i', host.iface, '--immediate-mode', '-w', '-', '-U', '-s', '0', '-n', filter]);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  let stderr = '';
  // 'close', not 'exit': stdout may still hold the last packets when the process has exited.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump did not start within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`Cannot run tcpdump (${err.message}); install it with "npm run setup" (.ci/apt-packages.d/sniff-replay.txt)`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${code}) before listening: ${stderr.trim()}`));
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!stderr.includes('listening on')) return;
      clearTimeout(timer);
      resolve({
        async stop() {
          child.kill('SIGINT');
          await exited;
          return Buffer.concat(chunks);
        },
      });
    });
  });
}
