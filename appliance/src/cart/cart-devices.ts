import { existsSync } from 'node:fs';
import type { CartConfig } from '../config/config.js';
import type { PressTiming } from './button.js';
import type { CartLimits } from './cart-lifecycle.js';
import { defaultCartLimits } from './cart-lifecycle.js';
import type { Button } from './evdev-button.js';
import { defaultButtonDevice, EvdevButton, TerminalButton } from './evdev-button.js';
import type { Display } from './framebuffer-display.js';
import { defaultDisplayDevice, openFramebufferDisplay } from './framebuffer-display.js';
import { PngDisplay } from './png-display.js';

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
export function openCartButton(c: CartConfig, log?: { info(m: string): void; warn(m: string): void }): Button {
  if (c.button === 'terminal' || (c.button === 'auto' && !existsSync(defaultButtonDevice))) return new TerminalButton();
  const path = c.button === 'auto' ? defaultButtonDevice : c.button;
  return new EvdevButton({ path, keyCode: c.buttonKeyCode, timing: pressTimingOf(c), ...(log ? { log } : {}) });
}
