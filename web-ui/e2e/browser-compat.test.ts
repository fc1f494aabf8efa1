/**
 * Runs in the unit project (Node, no browser); it lives beside the page's browser tests for
 * their Node types (web-ui/tsconfig.json has none, on purpose).
 * Every browser API the viewer page relies on, against MDN's browser-compat-data (npm
 * @mdn/browser-compat-data, the data caniuse and MDN show): the phone browsers a parent may
 * have must have each API the page cannot do without, and each one it can do without must
 * be feature-detected with a fallback. The table in README.md is this data (the last test
 * keeps them equal).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Support {
  version_added: string | boolean | null;
  partial_implementation?: boolean;
  prefix?: string;
  flags?: unknown[];
}
type Data = { __compat?: { support: Record<string, Support | Support[]> } } & { [key: string]: Data };
const bcd = createRequire(import.meta.url)('@mdn/browser-compat-data') as Data & { __meta: { version: string } };

/** The phone browsers and the oldest version the page promises (README "Viewer page"). */
const PHONES = [
  { key: 'safari_ios', name: 'Safari iOS', floor: 15 }, // esbuild target ios15 (web-ui/build.mjs)
  { key: 'chrome_android', name: 'Chrome Android', floor: 100 },
  { key: 'firefox_android', name: 'Firefox Android', floor: 113 }, // RTCRtpReceiver.getCapabilities; older: "unsupported"
  { key: 'samsunginternet_android', name: 'Samsung Internet', floor: 19 },
] as const;

interface Api {
  /** BCD path. */
  readonly path: string;
  /** A token the page's source must contain where it uses the API. */
  readonly token: string;
  /** How the page copes without it; undefined = required. */
  readonly fallback?: string;
}

const APIS: readonly Api[] = [
  { path: 'api.RTCPeerConnection', token: 'new RTCPeerConnection' },
  { path: 'api.RTCPeerConnection.addTransceiver', token: 'addTransceiver' },
  { path: 'api.RTCPeerConnection.track_event', token: "'track'" },
  { path: 'api.RTCRtpReceiver.getCapabilities_static', token: 'getCapabilities' },
  { path: 'api.MediaStream.MediaStream', token: 'new MediaStream' },
  { path: 'api.HTMLMediaElement.srcObject', token: 'srcObject' },
  { path: 'api.HTMLMediaElement.play', token: '.play()' },
  { path: 'api.HTMLMediaElement.loadeddata_event', token: "'loadeddata'" },
  { path: 'api.HTMLMediaElement.timeupdate_event', token: "'timeupdate'" },
  { path: 'api.ReadableStream.getReader', token: 'getReader()' },
  { path: 'api.TextDecoder', token: 'new TextDecoder' },
  { path: 'api.Crypto.getRandomValues', token: 'getRandomValues' },
  { path: 'api.fetch', token: 'fetch(' },
  { path: 'api.History.replaceState', token: 'history.replaceState' },
  { path: 'api.Window.customElements', token: 'customElements' },
  { path: 'api.CustomEvent.CustomEvent', token: 'new CustomEvent' },
  { path: 'api.Navigator.language', token: 'navigator.language' },
  { path: 'api.Document.visibilityState', token: 'visibilityState' },
  { path: 'api.HTMLVideoElement.requestVideoFrameCallback', token: 'requestVideoFrameCallback', fallback: 'first loadeddata / timeupdate counts as the first frame' },
  { path: 'api.RTCPeerConnection.connectionState', token: 'connectionState', fallback: 'a stall is treated as lost media and re-offered' },
  { path: 'api.RTCRtpTransceiver.setCodecPreferences', token: 'setCodecPreferences', fallback: 'the box pins H.264 in the offer it receives' },
  { path: 'api.RTCRtpTransceiver.setHeaderExtensionsToNegotiate', token: 'setHeaderExtensionsToNegotiate', fallback: 'no abs-capture-time (playout-delay is offered by default)' },
  { path: 'api.RTCRtpReceiver.jitterBufferTarget', token: 'jitterBufferTarget', fallback: "the engine's own jitter buffer (Chromium honours playout-delay)" },
  { path: 'api.Clipboard.writeText', token: 'clipboard.writeText', fallback: "execCommand('copy'), else the parent copies the shown link" },
  { path: 'api.Document.execCommand', token: "execCommand('copy')", fallback: 'the link is shown, selected, to copy by hand' },
  { path: 'api.WakeLock.request', token: 'wakeLock.request', fallback: 'the screen may dim' },
  { path: 'api.Element.requestFullscreen', token: 'requestFullscreen', fallback: 'webkitEnterFullscreen on the video (iPhone)' },
  { path: 'api.ScreenOrientation.lock', token: 'lock?.(', fallback: 'the parent turns the phone' },
  { path: 'api.Request.keepalive', token: 'keepalive', fallback: "the box frees the slot on RTCP silence (10 s)" },
  { path: 'api.HTMLVideoElement.playsInline', token: 'playsInline', fallback: 'browsers without it play inline anyway' },
];

const source = readdirSync(new URL('../src/', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8'))
  .join('\n');

/** The statements for one browser, without flag-only or prefixed ones (not what a phone runs). */
function statements(path: string, browser: string): (Support & { version_removed?: string })[] {
  let node: Data | undefined = bcd;
  for (const key of path.split('.')) node = node?.[key];
  const s = node?.__compat?.support[browser];
  if (s === undefined) throw new Error(`@mdn/browser-compat-data has no ${path} for ${browser}`);
  return (Array.isArray(s) ? s : [s]).filter((x) => !x.flags && !x.prefix && typeof x.version_added === 'string');
}
const num = (v: string): number => parseFloat(v.replace(/^≤/, ''));

/** The first version with it ("15.4", "52 (partial)") or "no". */
function version(path: string, browser: string): string {
  const first = statements(path, browser).sort((a, b) => num(String(a.version_added)) - num(String(b.version_added)))[0];
  if (!first) return 'no';
  return `${first.version_added}${first.partial_implementation ? ' (partial)' : ''}`;
}

/** Whether some statement covers `floor` (added by then and not removed by then). */
const usable = (path: string, browser: string, floor: number): boolean =>
  statements(path, browser).some((s) => num(String(s.version_added)) <= floor && (s.version_removed === undefined || num(s.version_removed) > floor));

describe('browser APIs the viewer page relies on (MDN browser-compat-data)', () => {
  it.each(APIS)('$path is used where the table says ($token)', ({ token }) => {
    expect(source).toContain(token);
  });

  const required = APIS.filter((a) => a.fallback === undefined);
  it.each(required.flatMap((a) => PHONES.map((p) => ({ api: a.path, phone: p }))))('required: $api in $phone.name $phone.floor', ({ api, phone }) => {
    expect(usable(api, phone.key, phone.floor), `${api} is ${version(api, phone.key)} in ${phone.name}, the page promises ${phone.floor}+`).toBe(true);
  });

  it('README.md carries this table', () => {
    // Generated from the data: on a mismatch the message holds the block to paste.
    const rows = APIS.map((a) => `| \`${a.path.replace(/^api\./, '').replace(/_static$/, ' (static)').replace(/_event$/, ' event')}\` | ${PHONES.map((p) => version(a.path, p.key)).join(' | ')} | ${a.fallback ?? 'required'} |`);
    const table = [
      `| API (@mdn/browser-compat-data ${bcd.__meta.version}) | ${PHONES.map((p) => `${p.name} (page: ${p.floor}+)`).join(' | ')} | without it |`,
      `|---|${PHONES.map(() => '---').join('|')}|---|`,
      ...rows,
    ].join('\n');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- browser-compat:begin -->\n([\s\S]*?)\n<!-- browser-compat:end -->/.exec(readme)?.[1];
    expect(block, `README.md needs this between <!-- browser-compat:begin --> and <!-- browser-compat:end -->:\n${table}`).toBe(table);
  });
});
