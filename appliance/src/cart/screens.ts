import type { Canvas, Rgb } from './canvas.js';
import { createCanvas } from './canvas.js';
import type { Language } from './messages.js';
import { formatElapsed, messages } from './messages.js';
import { drawQr } from './qr-render.js';
import type { Align, Box, FitOptions, TextLayout } from './text-layout.js';
import { drawLayout, fitText } from './text-layout.js';

/** Why a session ended; shown on the 'ended' screen. */
export type EndReason = 'button' | 'max-duration' | 'no-viewer' | 'other';

/** What the problem is, for the 'error' screen: the capture, or the settings file. */
export type CartProblem = 'no-device' | 'capture-error' | 'config';

/**
 * ScreenState is everything one cart screen shows: a closed union, one member per
 * screen. It never carries a patient detail; the link is only drawn as a QR code.
 */
export type ScreenState =
  | { readonly screen: 'idle'; readonly signal: boolean }
  /** `maskOff`: mask.preset is "none" (an explicit choice), said on every session's QR screen. */
  | { readonly screen: 'sharing'; readonly link: string; readonly code: string; readonly linkNumber: number; readonly maxViewers: number; readonly maskOff?: boolean }
  /** Hotspot mode, before the link: a WIFI: QR code (it carries the passphrase) and the network name. */
  | { readonly screen: 'join-wifi'; readonly wifiQr: string; readonly ssid: string }
  /** `sound`: what the viewers hear (absent: this box sends none, so nothing is said). */
  | { readonly screen: 'watching'; readonly viewers: number; readonly maxViewers: number; readonly elapsedMs: number; readonly sound?: 'on' | 'muted'; readonly viewerChanges?: number }
  | { readonly screen: 'no-signal'; readonly sessionActive: boolean }
  | { readonly screen: 'ended'; readonly reason: EndReason }
  /** `detail`: for 'config', the sentence naming the setting and what to write (English). */
  | { readonly screen: 'error'; readonly problem: CartProblem; readonly sessionActive: boolean; readonly detail?: string };

export type ScreenName = ScreenState['screen'];

/** The size of the screen to render for. */
export interface ScreenSize {
  readonly width: number;
  readonly height: number;
}

/** One text block placed on the screen: where it had to fit, and how it was laid out. */
export interface PlacedText {
  readonly text: string;
  readonly box: Box;
  readonly layout: TextLayout;
}

/** A rendered screen plus the text blocks on it (tests check none overflowed its box). */
export interface RenderedScreen {
  readonly canvas: Canvas;
  readonly texts: readonly PlacedText[];
}

const colors = {
  calm: 0x0d1b2a,
  paper: 0xffffff,
  ink: 0x111111,
  white: 0xffffff,
  ok: 0x62e08f,
  warn: 0xffc14d,
  warnBg: 0x4a3000,
  errorBg: 0x7a0010,
  muted: 0xb8c4d0,
  mutedOnPaper: 0x444444,
} as const;

/** Renders one cart screen into a new RGBA canvas of the given size. Pure. */
export function renderScreen(state: ScreenState, size: ScreenSize, language: Language): Canvas {
  return renderScreenDetailed(state, size, language).canvas;
}

/** Same as renderScreen, also returning each text block's layout. */
export function renderScreenDetailed(state: ScreenState, size: ScreenSize, language: Language): RenderedScreen {
  const t = messages[language];
  const { width: W, height: H } = size;
  const m = Math.max(4, Math.round(Math.min(W, H) * 0.04));
  const texts: PlacedText[] = [];
  let canvas: Canvas;
  const text = (s: string, box: Box, color: Rgb, opts: FitOptions, align: Align = 'center'): void => {
    const layout = fitText(s, box, opts);
    drawLayout(canvas, layout, box, color, align);
    texts.push({ text: s, box, layout });
  };
  // Horizontal bands of the inner area, given as fractions of its height.
  const bands = (fractions: readonly number[]): Box[] => {
    const inner = H - 2 * m;
    let y = m;
    return fractions.map((f) => {
      const h = Math.floor(inner * f);
      const box = { x: m, y, width: W - 2 * m, height: h };
      y += h;
      return box;
    });
  };
  const headline: FitOptions = { bold: true, maxCellHeight: Math.floor(H / 5) };
  const line: FitOptions = { maxCellHeight: Math.floor(H / 9) };

  switch (state.screen) {
    case 'idle': {
      canvas = createCanvas(W, H, colors.calm);
      const [title, , status] = bands([0.7, 0.06, 0.24]) as [Box, Box, Box];
      text(t.idleTitle, title, colors.white, headline);
      text(state.signal ? t.signalOk : t.signalMissing, status, state.signal ? colors.ok : colors.warn, line);
      break;
    }
    case 'sharing': {
      canvas = createCanvas(W, H, colors.paper);
      const part = qrWithTextColumn(canvas, state.link, m);
      if (state.maskOff) {
        // Said where "Link n / max" would be, and larger: it matters more.
        text(state.code, part(0, 0.2), colors.ink, { bold: true, maxCellHeight: Math.floor(H / 6) });
        text(t.sharingInstruction, part(0.22, 0.4), colors.ink, { maxCellHeight: Math.floor(H / 10) });
        text(t.maskOff, part(0.63, 0.37), colors.errorBg, { bold: true, maxCellHeight: Math.floor(H / 12) });
        break;
      }
      text(state.code, part(0, 0.28), colors.ink, { bold: true, maxCellHeight: Math.floor(H / 6) });
      text(t.sharingInstruction, part(0.3, 0.5), colors.ink, { maxCellHeight: Math.floor(H / 10) });
      if (state.maxViewers > 1) {
        text(t.linkOf(state.linkNumber, state.maxViewers), part(0.82, 0.18), colors.mutedOnPaper, { maxCellHeight: Math.floor(H / 12) });
      }
      break;
    }
    case 'join-wifi': {
      // Laid out like 'sharing': the largest QR that leaves room for the text.
      canvas = createCanvas(W, H, colors.paper);
      const part = qrWithTextColumn(canvas, state.wifiQr, m);
      text(state.ssid, part(0, 0.28), colors.ink, { bold: true, maxCellHeight: Math.floor(H / 8) });
      text(`${t.joinWifiInstruction}.\n${t.joinWifiNext}.`, part(0.3, 0.7), colors.ink, { maxCellHeight: Math.floor(H / 10) });
      break;
    }
    case 'watching': {
      canvas = createCanvas(W, H, colors.calm);
      const [who, time, , hint] = bands([0.3, 0.38, 0.04, 0.28]) as [Box, Box, Box, Box];
      text(t.viewers(state.viewers), who, colors.white, headline);
      text(formatElapsed(state.elapsedMs), time, colors.ok, { bold: true, maxCellHeight: Math.floor(H / 3) });
      const more = state.viewers < state.maxViewers ? `${t.anotherLink}\n` : '';
      const sound = state.sound === undefined ? '' : `${state.sound === 'on' ? t.soundShared : t.soundMuted}\n`;
      // A link moved to a new connection: normally the parent's own phone after a Wi-Fi
      // blip, but the sonographer should know if nobody in the room just reconnected.
      const changed = state.viewerChanges ? `${t.viewerChanged(state.viewerChanges)}\n` : '';
      text(changed + sound + more + t.holdToEnd, hint, colors.muted, line);
      break;
    }
    case 'no-signal': {
      canvas = createCanvas(W, H, colors.warnBg);
      const [title, action, hint] = bands([0.5, 0.3, 0.2]) as [Box, Box, Box];
      text(t.noSignalTitle, title, colors.white, headline);
      text(t.checkHdmi, action, colors.warn, { bold: true, maxCellHeight: Math.floor(H / 7) });
      if (state.sessionActive) text(t.holdToEnd, hint, colors.muted, line);
      break;
    }
    case 'ended': {
      canvas = createCanvas(W, H, colors.calm);
      const [title, reason] = bands([0.6, 0.4]) as [Box, Box];
      text(t.endedTitle, title, colors.white, headline);
      text(t.endedBy[state.reason], reason, colors.muted, line);
      break;
    }
    case 'error': {
      canvas = createCanvas(W, H, colors.errorBg);
      if (state.problem === 'config') {
        const [title, detail, hint] = bands([0.3, 0.52, 0.18]) as [Box, Box, Box];
        text(t.configErrorTitle, title, colors.white, { bold: true, maxCellHeight: Math.floor(H / 7) });
        text(state.detail ?? '', detail, colors.warn, { maxCellHeight: Math.floor(H / 10) });
        text(t.configUsingDefault, hint, colors.muted, line);
        break;
      }
      const [title, action, hint] = bands([0.45, 0.35, 0.2]) as [Box, Box, Box];
      text(state.problem === 'no-device' ? t.noDeviceTitle : t.captureErrorTitle, title, colors.white, headline);
      text(t.replugDongle, action, colors.warn, { bold: true, maxCellHeight: Math.floor(H / 7) });
      if (state.sessionActive) text(t.holdToEnd, hint, colors.muted, line);
      break;
    }
  }
  return { canvas, texts };
}

/**
 * Draws `payload` as the largest QR code that still leaves the text 10 small characters of
 * width (below it in portrait, beside it in landscape) and returns the text column, as a
 * function from (start, share) of its height to a box. The QR's quiet zone is its margin.
 */
function qrWithTextColumn(canvas: Canvas, payload: string, m: number): (from: number, f: number) => Box {
  const W = canvas.width, H = canvas.height;
  const portrait = H > W;
  const minText = 10 * 8 + m;
  const side = portrait ? Math.min(W, H - minText) : Math.min(H, W - minText);
  const qr = drawQr(canvas, payload, { x: 0, y: 0, width: side, height: side }, 0x000000, colors.paper);
  const col: Box = portrait
    ? { x: m, y: qr.y + qr.side, width: W - 2 * m, height: H - qr.y - qr.side - m }
    : { x: qr.x + qr.side, y: m, width: W - qr.x - qr.side - m, height: H - 2 * m };
  return (from, f) => ({ x: col.x, y: col.y + Math.floor(col.height * from), width: col.width, height: Math.floor(col.height * f) });
}
