import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
