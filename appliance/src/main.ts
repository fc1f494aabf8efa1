/**
 * The composition root: configuration → pick the hardware (or dev fallbacks) → the app →
 * listen → print the link → tell systemd. The only module that reads argv and the
 * environment, prints to the terminal, or talks to systemd.
 */
import { readFileSync } from 'node:fs';
import qrcode from 'qrcode';
import { buildApp } from './app.js';
import { cliUsage, parseCli } from './config/cli.js';
import { ConfigError } from './config/config-error.js';
import { problemSummary, readConfigFile } from './config/config-file.js';
import { pickHardware } from './hardware/pick-hardware.js';
import { startSystemdIntegration } from './system/systemd.js';
import { createLogger } from './system/logger.js';

async function main(): Promise<void> {
  // The settings file (the unit sets SONOBOX_CONFIG=/boot/firmware/sonobox.toml): a bad
  // value in it never stops the box; flags override it.
  const file = process.env.SONOBOX_CONFIG ? readConfigFile(process.env.SONOBOX_CONFIG) : undefined;
  let cli;
  try {
    cli = parseCli(process.argv.slice(2), file?.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`sonobox: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  if (cli.help) {
    console.log(cliUsage);
    return;
  }
  const logger = createLogger({ level: process.env.SONOBOX_LOG_LEVEL ?? 'info' });
  for (const w of file?.warnings ?? []) logger.warn(`Settings: ${w}`);
  for (const p of file?.problems ?? []) logger.error(`Settings: ${p.message}`);
  // Under systemd stdout is the journal: a link there would be a token in a log.
  const underSystemd = Boolean(process.env.INVOCATION_ID);
  const printLink = cli.printLink || !underSystemd;

  const hardware = await pickHardware(cli.config, {
    logger,
    // systemd's RuntimeDirectory=sonobox (tmpfs under /run): the hotspot's files live only there.
    runtimeDir: process.env.RUNTIME_DIRECTORY?.split(':')[0] ?? '/run/sonobox',
  });
  const app = buildApp({
    config: cli.config,
    logger,
    hardware,
    configProblem: problemSummary(file?.problems ?? []),
    onLink: (link) => {
      if (!printLink) return;
      // Stable interface: tools read the line starting "Link: ".
      process.stdout.write(`Link: ${link}\n`);
      if (process.stdout.isTTY) {
        void qrcode.toString(link, { type: 'terminal', small: true }).then((qr) => process.stdout.write(qr));
      }
    },
  });
  const url = await app.start();
  process.stdout.write(`Listening on port ${new URL(url).port}\n`);
  const systemd = startSystemdIntegration({ app, logger, version: packageVersion() });
  if (cli.startSession) app.share();

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info(`Stopping on ${signal}`);
    systemd.stop();
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    await app.stop().catch((e: unknown) => logger.error({ err: e }, 'error while stopping'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

main().catch((e: unknown) => {
  console.error(`sonobox: could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
