import { createLogger, type Logger, type LogLevel } from '../logger.js';

/** One line as it reached the log (after redaction), parsed back. */
export interface LoggedLine {
  readonly level: LogLevel;
  readonly msg: string;
  /** The component tag of the child that wrote it. */
  readonly c: string | undefined;
}

const levels: Record<number, LogLevel> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };

/**
 * The real redacting logger (system/logger.ts) writing into memory, for tests that check
 * what a module logs, at which level, under which tag.
 */
export function memoryLogger(): { logger: Logger; lines: LoggedLine[]; messages: () => string[] } {
  const lines: LoggedLine[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (s: string): void => {
        const j = JSON.parse(s) as { level: number; msg?: string; c?: string };
        lines.push({ level: levels[j.level] ?? 'error', msg: j.msg ?? '', c: j.c });
      },
    },
  });
  return { logger, lines, messages: () => lines.map((l) => l.msg) };
}
