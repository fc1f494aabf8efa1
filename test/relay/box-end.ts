/**
 * The box's end of the tunnel in a topology's clinic namespace: the real launcher of
 * systemd/sonobox-tunnel.service, given what that unit gives it (the environment from
 * the relay's tunnel.env for this box, and a credentials directory with the box's key and
 * the relay's pinned host key, as LoadCredential= makes it), and a stand-in for the box's
 * remote-viewing listener behind it.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Daemon, Topology } from '../support/topology.js';
import type { Box, RelaySetup } from './relay-under-test.js';

const repo = new URL('../..', import.meta.url).pathname;
export const tunnelLauncher = join(repo, 'systemd/sonobox-tunnel-launch');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The box's listener port the tunnel carries to (the launcher's default TUNNEL_TARGET). */
export const BOX_LISTENER_PORT = 8081;

/** KEY=VALUE lines of an env file (comments and blanks skipped), as systemd reads them. */
export function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** The credentials directory systemd would make for the unit (0700, files 0600). */
export function credentialsFor(setup: RelaySetup, box: Box): string {
  const dir = join(setup.dir, `credentials-${box.id}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  copyFileSync(box.key, join(dir, 'id_ed25519'));
  copyFileSync(join(setup.out, 'boxes', box.id, 'known_hosts'), join(dir, 'known_hosts'));
  return dir;
}

/** Starts the tunnel launcher for `box` in the clinic namespace. */
export function startTunnel(topo: Topology, setup: RelaySetup, box: Box): Daemon {
  const env = { ...process.env, ...readEnvFile(join(setup.out, 'boxes', box.id, 'tunnel.env')), CREDENTIALS_DIRECTORY: credentialsFor(setup, box) };
  return topo.spawn('clinic', ['/bin/sh', tunnelLauncher], env);
}

/** The local addresses the relay listens on at `port` (TCP), e.g. ['127.0.0.1:20001']. */
export async function relayListeners(topo: Topology, port: number): Promise<string[]> {
  const r = await topo.exec('inet', ['ss', '-Hltn', `sport = :${port}`]);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3]!);
}

/** Waits (bounded) until the relay listens at `port`, or stops listening (`want` false). */
export async function waitForRelayListener(topo: Topology, port: number, want = true, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await relayListeners(topo, port)).length > 0 !== want) {
    if (Date.now() > deadline) throw new Error(`the relay ${want ? 'never listened' : 'still listens'} on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the stand-in box listener (test/relay/stand-in-box.ts) in the clinic namespace. */
export async function startStandIn(topo: Topology, boxId: string, resource: string): Promise<Daemon> {
  const d = topo.spawn('clinic', [process.execPath, '--import', tsxLoader, join(repo, 'test/relay/stand-in-box.ts'), String(BOX_LISTENER_PORT), boxId, resource]);
  await d.waitFor(/stand-in box \S+ listening/, 20_000);
  return d;
}

/** ssh from the clinic to the relay's port 443 as a box would, with these extra arguments. */
export function sshFromClinic(topo: Topology, setup: RelaySetup, o: { key: string; knownHosts?: string; args: readonly string[]; command?: readonly string[]; timeoutMs?: number }) {
  const argv = ['ssh', '-F', 'none', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', `IdentityFile=${o.key}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${o.knownHosts ?? join(setup.out, 'boxes/room1/known_hosts')}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'HostKeyAlias=sonobox-relay', '-o', 'ConnectTimeout=5', '-o', 'ExitOnForwardFailure=yes', '-p', '443', ...o.args, 'sonobox-tunnel@relay.sonobox.test', ...(o.command ?? [])];
  return topo.exec('clinic', argv, { timeoutMs: o.timeoutMs ?? 15_000 });
}

/** Box room1 at the end of its tunnel: the stand-in listener, then the tunnel, held. */
export async function startBoxRoom1(topo: Topology, setup: RelaySetup, resource: string): Promise<{ standIn: Daemon; tunnel: Daemon }> {
  const standIn = await startStandIn(topo, 'room1', resource);
  const tunnel = startTunnel(topo, setup, setup.boxes[0]!);
  await waitForRelayListener(topo, setup.boxes[0]!.port);
  return { standIn, tunnel };
}
