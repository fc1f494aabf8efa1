import { defaultConfig, validateConfig, type Config } from '../../appliance/src/config/config.js';

/**
 * The box as end-to-end tests run it: HTTP and ICE on loopback only (nothing leaves the
 * machine), the test pattern, the software encoder, two viewers per session, and the dev
 * cart (PNG screen served from memory, terminal button), and mask.preset "none" chosen
 * explicitly: the tests read the frame stamp in the top band, which the default mask
 * (generic-top-banner) blanks. `edit` adjusts it before it is validated like any real
 * configuration.
 */
export function loopbackConfig(edit?: (c: Config) => void): Config {
  const c = structuredClone(defaultConfig);
  c.http.host = '127.0.0.1';
  c.http.port = 0;
  c.webrtc.extraHostAddresses = ['127.0.0.1'];
  c.source.spec = 'test-pattern';
  c.encoder.spec = 'software';
  c.session.maxViewers = 2;
  c.cart.display = 'png';
  c.cart.button = 'terminal';
  c.mask.preset = 'none';
  edit?.(c);
  return validateConfig(c);
}
