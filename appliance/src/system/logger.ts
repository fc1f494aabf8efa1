/**
 * The one logger (pino), and the one Logger interface every module is given. Modules take
 * a `Logger` tagged with their component (`logger.child({ c: 'capture' })`), log one line
 * per change at its level (warn: someone must act, e.g. "capture device missing"; error:
 * something failed), and never format secrets themselves: redaction lives here, not at
 * call sites, in three layers:
 *   1. keys: any field whose name has a word like token, resume, secret, passphrase, link,
 *      authorization, cookie, password, ip or address is replaced, at any depth;
 *   2. shapes: the finished line is scrubbed of anything shaped like a credential (a run of
 *      40+ base64url characters: tokens and resume secrets are 43, their hashes 64) and of
 *      IP addresses other than loopback (viewer addresses are patient-adjacent);
 *   3. requests: `req` is reduced to method and path, never headers or the peer address.
 * Nothing here writes to disk: lines go to stdout (journald, volatile on the appliance).
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions as PinoOptions } from 'pino';

/** Fields every line of a child logger carries; `c` is the component tag. */
export type LogFields = Record<string, unknown>;

/** One line: a sentence that says what happened and what to do (fields come from child bindings). */
export type LogFn = (msg: string) => void;

/**
 * Logger is pino-shaped: four levels and child loggers with bindings (a pino logger is one).
 * A module that logs at two levels only may ask for Pick<Logger, 'info' | 'warn'>.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger whose lines also carry `bindings`, e.g. `child({ c: 'encoder' })`. */
  child(bindings: LogFields): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The process logger itself: a Logger that fastify can use too (main.ts makes it). */
export type ProcessLogger = PinoLogger;

const drop = (): void => {};
/** A Logger that writes nothing: the default of modules built without one (tests, tools). */
export const silentLogger: Logger = { debug: drop, info: drop, warn: drop, error: drop, child: () => silentLogger };

export interface LoggerOptions {
  /** pino level; default 'info'. */
  readonly level?: string;
  /** Where lines go; default stdout. Tests pass a collector. */
  readonly destination?: DestinationStream;
}

export const REDACTED = '[redacted]';

/** Words that mark a field as secret or identifying wherever they appear in a key. */
const SECRET_WORDS = new Set([
  'token', 'tokens', 'resume', 'secret', 'secrets', 'passphrase', 'password', 'link', 'links',
  'authorization', 'auth', 'cookie', 'cookies', 'bearer', 'credential', 'credentials',
  'ip', 'ips', 'address', 'addresses', 'addr', 'remoteaddress', 'candidate', 'candidates', 'sdp', 'offer', 'answer',
]);
// Counts are safe even when their name contains a secret word.
const COUNT_WORDS = new Set(['outstanding', 'count', 'ttl', 'ms', 'max']);

/** Splits camelCase, snake_case, kebab-case and dotted keys into lower-case words. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** True when a field named `key` must not be logged. */
export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  if (!words.some((w) => SECRET_WORDS.has(w))) return false;
  // "linksOutstanding", "linkTtlMs": a number about links, not a link.
  return !words.some((w) => COUNT_WORDS.has(w));
}

const CREDENTIAL_SHAPE = /[A-Za-z0-9_-]{40,}/g;
const IPV4 = /(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9.])/g;
const IPV6 = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g;

function scrubIpv6(m: string): string {
  // Short colon runs like "12:30:45" are times, not addresses; '::' and 5+ groups are addresses.
  if (m === '::1' || m === '::') return m;
  return m.includes('::') || m.split(':').length >= 5 ? '[address]' : m;
}

/** Removes credential-shaped runs and non-loopback IP addresses from any text. */
export function scrubText(text: string): string {
  return text
    .replace(CREDENTIAL_SHAPE, REDACTED)
    .replace(IPV4, (m) => (m.startsWith('127.') || m === '0.0.0.0' ? m : '[address]'))
    .replace(IPV6, scrubIpv6);
}

/** A copy of `value` with secret-named fields replaced; Errors become {type, message, stack}. */
export function scrubFields(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.cause !== undefined) out.cause = scrubFields(value.cause, depth + 1, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => scrubFields(v, depth + 1, seen));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : scrubFields(v, depth + 1, seen);
  return out;
}

/** Reduces a request to what a log line may say about it: method and path (no query). */
function describeRequest(req: unknown): unknown {
  if (req === null || typeof req !== 'object') return req;
  const r = req as { method?: unknown; url?: unknown };
  const url = typeof r.url === 'string' ? r.url.split(/[?#]/)[0] : undefined;
  return { method: r.method, url };
}

function describeResponse(res: unknown): unknown {
  if (res === null || typeof res !== 'object') return res;
  return { statusCode: (res as { statusCode?: unknown }).statusCode };
}

function formatFields(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'req') out.req = describeRequest(v);
    else if (k === 'res') out.res = describeResponse(v);
    else out[k] = isSecretKey(k) ? REDACTED : scrubFields(v);
  }
  return out;
}

const identity = (v: unknown): unknown => v;

/** pino options with the redaction built in; exported so fastify or tests can reuse them. */
export function loggerOptions(level = 'info'): PinoOptions {
  return {
    level,
    base: null,
    // pino's own key redaction, for the paths fastify and its plugins are known to use.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'req.remoteAddress', 'req.ip'], censor: REDACTED },
    // formatFields has already turned errors and requests into plain safe objects.
    serializers: { req: identity, res: identity, err: identity },
    formatters: {
      log: formatFields,
      bindings: (b) => formatFields(b),
    },
    hooks: { streamWrite: scrubText },
  };
}

/** Creates the process logger. Every line it writes has passed all three redaction layers. */
export function createLogger(options: LoggerOptions = {}): ProcessLogger {
  const opts = loggerOptions(options.level);
  const root = options.destination ? pino(opts, options.destination) : pino(opts);
  // pino applies formatters.bindings to the root's bindings only, not to a child's: scrub
  // child bindings by key here. Children inherit this from the root (pino makes them with
  // Object.create), so child().child() is covered too, fastify's request loggers included.
  const pinoChild = root.child;
  root.child = function (this: ProcessLogger, bindings, childOptions) {
    return pinoChild.call(this, formatFields(bindings), childOptions);
  } as typeof root.child;
  return root;
}
