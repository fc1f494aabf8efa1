import type { ChildProcess } from 'node:child_process';
/**
 * Small lifecycle helpers for the child processes the service starts (ffmpeg, the native
 * helpers, hostapd/dnsmasq).
 */
/**
 * Ends a child process the service started: SIGTERM (after closing its stdin, which is
 * how the native helpers learn to stop), then SIGKILL if it is still there after graceMs.
 * Resolves once it has exited; at once if it already has.
 */

export function stopChild(child: ChildProcess, graceMs = 1000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}

/**
 * Tracks why a child ended, for its one log line: a failed spawn (ENOENT: `notFound`, e.g.
 * "ffmpeg not found: apt-get install ffmpeg"), else the last non-empty line it wrote to
 * stderr (at most 300 characters; nothing else it prints is kept or logged), else its exit
 * status or signal. Call the returned function from the 'close' handler.
 */
export function exitReason(child: ChildProcess, notFound: string): (code: number | null, signal: NodeJS.Signals | null) => string {
  let last = '';
  let spawnError = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    const line = text.trim().split('\n').pop();
    if (line) last = line.slice(0, 300);
  });
  child.on('error', (e) => {
    spawnError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? notFound : e.message;
  });
  return (code, signal) => spawnError || last || (signal ? `killed by ${signal}` : `exited with status ${code}`);
}
