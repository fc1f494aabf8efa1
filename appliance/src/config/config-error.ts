/** ConfigError names the setting and says what a valid value looks like. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
