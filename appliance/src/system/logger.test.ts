import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mintLink } from '../credentials/link-keys.js';
import { createLogger, isSecretKey, scrubText, silentLogger, type ProcessLogger as Logger } from './logger.js';

/** A logger whose lines land in an array, as they would reach stdout. */
function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } });
  return { log, lines };
}

const token = mintLink().token;
const hash = createHash('sha256').update(mintLink().token).digest('hex');

describe('a token logged by mistake comes out redacted', () => {
  const cases: { name: string; write: (log: Logger) => void; keep?: string }[] = [
    { name: 'in the message', write: (log) => log.info(`claimed link with ${token}`), keep: 'claimed link with' },
    { name: 'in a printf argument', write: (log) => log.info('link %s', token) },
    { name: 'in a URL in the message', write: (log) => log.info(`link is http://box:8080/v#t=${token}`), keep: 'http://box:8080/v#t=' },
    { name: 'as a top-level token field', write: (log) => log.info({ token }, 'x') },
    { name: 'as a nested resume field', write: (log) => log.info({ viewer: { deep: { resumeSecret: token } } }, 'x') },
    { name: 'under an innocent key', write: (log) => log.info({ note: { text: `abc ${token} def` } }, 'x'), keep: 'abc' },
    { name: 'in an array', write: (log) => log.info({ items: ['a', token] }, 'x') },
    { name: 'in an error message', write: (log) => log.error(new Error(`bad token ${token}`)), keep: 'bad token' },
    { name: 'in an err field with cause', write: (log) => log.warn({ err: new Error('outer', { cause: new Error(token) }) }, 'failed') },
    { name: 'in a request Authorization header', write: (log) => log.info({ req: { method: 'POST', url: '/whep', headers: { authorization: `Bearer ${token}` } } }, 'req'), keep: '/whep' },
    { name: 'in a request query string', write: (log) => log.info({ req: { method: 'GET', url: `/v?t=${token}` } }, 'req'), keep: '"url":"/v"' },
    { name: 'in a child logger binding', write: (log) => log.child({ link: token }).info('child') },
    { name: 'a token hash', write: (log) => log.info(`hash ${hash}`) },
    { name: 'a passphrase field (short)', write: (log) => log.info({ wifi: { passphrase: 'hunter2' } }, 'x') },
  ];
  it.each(cases)('$name', ({ write, keep }) => {
    const { log, lines } = capture();
    write(log);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toContain(token);
    expect(line).not.toContain(hash);
    expect(line).not.toContain('hunter2');
    expect(() => JSON.parse(line)).not.toThrow();
    if (keep) expect(line).toContain(keep);
  });
});

describe('no client address is ever logged', () => {
  it.each([
    { name: 'IPv4 in a message', write: (log: Logger) => log.info('viewer 192.168.1.23 joined'), gone: '192.168.1.23' },
    { name: 'IPv6 in a message', write: (log: Logger) => log.info('viewer fe80::1c2b:3aff:fe4d:5e6f joined'), gone: 'fe80::1c2b' },
    { name: 'full IPv6', write: (log: Logger) => log.info('from 2001:db8:85a3:0:0:8a2e:370:7334'), gone: '2001:db8' },
    { name: 'remoteAddress field', write: (log: Logger) => log.info({ remoteAddress: 'host.example' }, 'x'), gone: 'host.example' },
    { name: 'ip field', write: (log: Logger) => log.info({ ip: 'somewhere' }, 'x'), gone: 'somewhere' },
    { name: 'a request object keeps no socket address', write: (log: Logger) => log.info({ req: { method: 'GET', url: '/v', ip: '10.1.2.3', socket: { remoteAddress: '10.1.2.3' } } }, 'r'), gone: '10.1.2.3' },
    { name: 'an SDP blob', write: (log: Logger) => log.info({ sdp: 'a=candidate:1 1 udp 1 hostname.local 5000 typ host' }, 'x'), gone: 'hostname.local' },
  ])('$name', ({ write, gone }) => {
    const { log, lines } = capture();
    write(log);
    expect(lines[0]).not.toContain(gone);
  });
});

describe('component loggers (child({ c })) redact exactly as the root does', () => {
  it.each([
    { name: 'a token in a tagged message', write: (log: Logger) => log.child({ c: 'sessions' }).warn(`link ${token} expired`), gone: token, keep: 'expired' },
    { name: 'an address in a grandchild', write: (log: Logger) => log.child({ c: 'webrtc' }).child({ viewer: 'v1' }).info('viewer 10.0.0.7 joined'), gone: '10.0.0.7', keep: 'joined' },
    { name: 'a secret-named binding', write: (log: Logger) => log.child({ c: 'network', passphrase: 'hunter2' }).info('hotspot up'), gone: 'hunter2', keep: 'hotspot up' },
    { name: 'a token hash at error level', write: (log: Logger) => log.child({ c: 'capture' }).error(`bad ${hash}`), gone: hash, keep: 'bad' },
  ])('$name', ({ write, gone, keep }) => {
    const { log, lines } = capture();
    write(log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(gone);
    expect(lines[0]).toContain(keep);
  });

  it('every line of a child carries its component tag and level', () => {
    const { log, lines } = capture();
    const capture_ = log.child({ c: 'capture' });
    capture_.debug('d');
    capture_.info('i');
    capture_.warn('w');
    capture_.error('e');
    expect(lines.map((l) => JSON.parse(l) as { c: string; level: number; msg: string }).map(({ c, level, msg }) => ({ c, level, msg }))).toEqual([
      { c: 'capture', level: 20, msg: 'd' }, { c: 'capture', level: 30, msg: 'i' }, { c: 'capture', level: 40, msg: 'w' }, { c: 'capture', level: 50, msg: 'e' },
    ]);
  });

  it('silentLogger writes nothing, at any depth', () => {
    const child = silentLogger.child({ c: 'x' });
    expect(() => child.child({ y: 1 }).error(token)).not.toThrow();
  });
});

describe('what stays readable', () => {
  it.each([
    { name: 'loopback', text: 'listening on 127.0.0.1:8080 and ::1', same: true },
    { name: 'a clock time', text: 'at 12:30:45', same: true },
    { name: 'a short id', text: 'viewer abcdEFGH12345678 left', same: true },
    { name: 'a sentence', text: 'Session started; link valid for 600 s', same: true },
  ])('$name', ({ text }) => {
    expect(scrubText(text)).toBe(text);
  });

  it.each([
    { key: 'token', secret: true },
    { key: 'resumeSecret', secret: true },
    { key: 'link', secret: true },
    { key: 'x-sonobox-resume', secret: true },
    { key: 'Authorization', secret: true },
    { key: 'wifi_passphrase', secret: true },
    { key: 'remoteAddress', secret: true },
    { key: 'linksOutstanding', secret: false },
    { key: 'linkTtlMs', secret: false },
    { key: 'viewers', secret: false },
    { key: 'state', secret: false },
  ])('key $key → secret=$secret', ({ key, secret }) => {
    expect(isSecretKey(key)).toBe(secret);
  });

  it('counts and states in a snapshot survive', () => {
    const { log, lines } = capture();
    log.info({ session: { state: 'active', viewers: 1, linksOutstanding: 2 } }, 'status');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'status', session: { state: 'active', viewers: 1, linksOutstanding: 2 } });
  });
});
