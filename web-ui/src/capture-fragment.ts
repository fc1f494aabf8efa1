/**
 * Runs first (main.ts imports it before anything else): reads the link's fragment and
 * removes it from the address bar, so the token never reaches history, bookmarks,
 * screenshots of the URL bar, or a later navigation. The parsed secret lives only in
 * this module's memory.
 */
import { parseFragment, type FragmentParse } from './link-fragment.js';

const raw = location.hash;
if (location.href.includes('#')) {
  history.replaceState(null, '', location.pathname + location.search);
}

/** The link secret carried by the fragment this page was opened with. */
export const fragment: FragmentParse = parseFragment(raw);
