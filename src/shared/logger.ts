import tty from 'node:tty';
import pino from 'pino';
import { chooseLogFormat, type LogFormat, readableLines } from './log-lines.ts';

export type Logger = pino.Logger;
export type { LogFormat };

/**
 * A logger writing to stderr, or to `destination` (tests). `format` (config logFormat): JSON records,
 * readable lines, or `auto`, which is readable lines when stderr is a terminal and no destination is given.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  format: LogFormat = 'auto',
): Logger {
  // isatty(2) rather than process.stderr.isTTY: it is also right in worker threads (read workers).
  const toTerminal = destination === undefined && tty.isatty(2);
  const out = destination ?? pino.destination({ dest: 2, sync: false });
  const readable = chooseLogFormat(format, toTerminal) === 'pretty';
  return pino(
    {
      level,
      base: { app: 'tonearm' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: these must never reach a log line even if a caller logs a whole query.
      redact: {
        paths: ['password', 'p', 't', 's', 'token', 'apiKey', '*.password', '*.p', '*.t', '*.s', '*.apiKey'],
        censor: '[hidden]',
      },
    },
    readable ? readableLines(out, { color: toTerminal && !process.env.NO_COLOR }) : out,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
