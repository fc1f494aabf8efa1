import { existsSync } from 'node:fs';
import { defaultPressTiming, type PressTiming } from './button.js';
import type { CartLimits } from './cart-lifecycle.js';
import { defaultCartLimits } from './cart-lifecycle.js';
import type { Button } from './evdev-button.js';
import { defaultButtonDevice, defaultButtonKeyCode, EvdevButton, TerminalButton } from './evdev-button.js';
import type { Display } from './framebuffer-display.js';
import { defaultDisplayDevice, openFramebufferDisplay } from './framebuffer-display.js';
import type { Language } from './messages.js';
import { PngDisplay } from './png-display.js';
import type { Logger } from '../system/logger.js';

/** The cart's slice of the configuration (to be added to Config as `cart`). */
export interface CartConfig {
  /** 'auto' (/dev/sonobox/display if present, else PNG), 'png', or a /dev/fbN path. */
  display: string; // default 'auto'
  /** Size of the dev-mode PNG screen. */
  pngWidth: number; // default 480
  pngHeight: number; // default 320
  /** 'auto' (/dev/sonobox/button if present, else terminal keys), 'terminal', or an evdev path or FIFO. */
  button: string; // default 'auto'
  /** EV_KEY code of the button (input-event-codes.h); 28 = KEY_ENTER. */
  buttonKeyCode: number; // default 28
  language: Language; // default 'en'
  maxSessionMs: number; // default 60 min
  noViewerMs: number; // default 10 min
  longPressMs: number; // default 2000
  debounceMs: number; // default 30
}

export const defaultCartConfig: CartConfig = {
  display: 'auto',
  pngWidth: 480,
  pngHeight: 320,
  button: 'auto',
  buttonKeyCode: defaultButtonKeyCode,
  language: 'en',
  maxSessionMs: defaultCartLimits.maxSessionMs,
  noViewerMs: defaultCartLimits.noViewerMs,
  longPressMs: defaultPressTiming.longPressMs,
  debounceMs: defaultPressTiming.debounceMs,
};

export const cartLimitsOf = (c: CartConfig): CartLimits => ({ ...defaultCartLimits, maxSessionMs: c.maxSessionMs, noViewerMs: c.noViewerMs });
export const pressTimingOf = (c: CartConfig): PressTiming => ({ debounceMs: c.debounceMs, longPressMs: c.longPressMs });

/**
 * Picks the display: the framebuffer on the appliance, a PNG on a PC. The PNG lives in
 * memory only (latestPng(), served to the box itself at /api/cart.png): the sharing
 * screen carries a link's QR code, so it must never be written to a file.
 */
export function openCartDisplay(c: CartConfig, sysRoot = '/sys'): Display {
  if (c.display === 'png' || (c.display === 'auto' && !existsSync(defaultDisplayDevice))) {
    return new PngDisplay(c.pngWidth, c.pngHeight);
  }
  return openFramebufferDisplay(c.display === 'auto' ? defaultDisplayDevice : c.display, sysRoot);
}

/** Picks the button: the evdev device on the appliance, terminal keys on a PC. */
export function openCartButton(c: CartConfig, log?: Pick<Logger, 'info' | 'warn'>): Button {
  if (c.button === 'terminal' || (c.button === 'auto' && !existsSync(defaultButtonDevice))) return new TerminalButton();
  const path = c.button === 'auto' ? defaultButtonDevice : c.button;
  return new EvdevButton({ path, keyCode: c.buttonKeyCode, timing: pressTimingOf(c), ...(log ? { log } : {}) });
}
