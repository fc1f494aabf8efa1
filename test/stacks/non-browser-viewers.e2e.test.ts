/**
 * WebRTC stacks we did not write, as WHEP viewers of the real box (its own command line,
 * in a network namespace, no --ice-host), each from the phone's namespace, each offering
 * audio AND video recvonly as most WHEP players do:
 *   - GStreamer 1.22 webrtcbin (Debian, python3-gi), decoding with avdec_h264 and openh264dec;
 *   - aiortc 1.4 (Debian python3-aiortc), which refuses an answer whose audio section is
 *     rejected without rtcp-mux (the box's answer before issue 11).
 * Both send the link token as `Authorization: Bearer`, as standard WHEP players do: the box
 * accepts that only where the operator allows it (session.whepBearer; over plain HTTP only
 * with `always`, docs/credential-scheme.md §8), so this box runs with `--whep-bearer always`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tokenFromLink } from '../support/link.js';
import { netnsUnavailable } from '../support/netns.js';
import { useNetnsBox } from '../support/netns-box.js';

const python = '/usr/bin/python3'; // Debian's, with python3-gi and python3-aiortc
const stacks = fileURLToPath(new URL('.', import.meta.url));
const why = netnsUnavailable() ?? (existsSync(python) ? undefined : `${python} is not installed`);

interface ViewerResult {
  status: number | null;
  frames: number;
  width: number;
  height: number;
  audio?: string | null;
  decoder?: string;
  error: string | null;
}

describe.skipIf(why !== undefined)(why ? `non-browser WHEP viewers — SKIPPED: ${why}` : 'non-browser WHEP viewers of the real box, on a veth LAN', () => {
  const s = useNetnsBox('st', ['--max-viewers', '8', '--whep-bearer', 'always'], async () => undefined);

  /** Runs a viewer script in the phone's namespace with a fresh link; its one JSON line. */
  async function view(script: string, extra: string[] = []): Promise<ViewerResult> {
    const token = tokenFromLink(await s.box.newLink());
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('ip', ['netns', 'exec', s.pair.phone.ns, python, '-B', `${stacks}/${script}`, `${s.box.base}/whep`, token, '--seconds', '5', ...extra],
        { timeout: 60_000, encoding: 'utf8' }, (error, out, err) => (error ? reject(new Error(`${script}: ${error.message}\n${err}`)) : resolve(out)));
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as ViewerResult;
  }

  it.each(['avdec_h264', 'openh264dec'])('GStreamer webrtcbin decodes the box\'s H.264 (%s)', async (decoder) => {
    const result = await view('gst-whep-viewer.py', ['--decoder', decoder]);
    expect(result).toMatchObject({ status: 201, error: null, width: 1280, height: 720, decoder });
    expect(result.frames).toBeGreaterThan(30);
  });

  it('aiortc takes the answer (audio: Opus, the box sending, rtcp-mux) and decodes the video', async () => {
    const result = await view('aiortc-viewer.py');
    expect(result).toMatchObject({ status: 201, error: null, audio: 'recvonly', width: 1280, height: 720 });
    expect(result.frames).toBeGreaterThan(30);
  });
});
