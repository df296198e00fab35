// Readable log lines for a person at a terminal. The logger writes JSON records (one a line, what log
// collectors want); on a terminal, or with `logFormat = "pretty"`, this stream turns each record into
//   14:03:07.412 INFO  [scanner] scan finished files=74 durationMs=812
// and, for a logged error, its stack indented below. A small formatter of our own rather than
// pino-pretty: it is a few dozen lines and no dependency. Control characters in messages and values
// (a file name, a client's header) are escaped, so a log line cannot rewrite the terminal.

export type LogFormat = 'auto' | 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'pretty', 'json'];

/** `auto` is readable lines on a terminal and JSON anywhere else (files, pipes, Docker's log driver). */
export function chooseLogFormat(format: LogFormat, toTerminal: boolean): 'pretty' | 'json' {
  if (format === 'auto') return toTerminal ? 'pretty' : 'json';
  return format;
}

/** Where lines go: pino's SonicBoom destination, or any writable stand-in. */
export interface LineSink {
  write(text: string): unknown;
  flush?(callback?: (error?: Error | null) => void): void;
  flushSync?(): void;
}

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

// Shown elsewhere in the line (time, level, message, [component]) or the same on every line (app).
const SHOWN_APART = new Set(['time', 'level', 'msg', 'app', 'pid', 'hostname', 'component']);
const MAX_VALUE_CHARS = 300;

// C0 and C1 controls (ESC starts terminal escape sequences) and DEL; JSON.stringify already escapes C0.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function escapeControls(text: string): string {
  return text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Date.now());
  if (Number.isNaN(date.getTime())) return '--:--:--.---';
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
  else text = JSON.stringify(value) ?? String(value);
  text = escapeControls(text);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** One pino record as one readable line (plus the stack of a logged error), ending with a newline. */
export function formatLogRecord(record: Record<string, unknown>, options: { color: boolean }): string {
  const level = LEVELS[record.level as number] ?? { name: String(record.level).padEnd(5), color: '0' };
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const parts = [paint('90', clock(record.time)), paint(level.color, level.name)];
  if (typeof record.component === 'string') parts.push(`[${escapeControls(record.component)}]`);
  parts.push(escapeControls(String(record.msg ?? '')));
  let stack: string | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (SHOWN_APART.has(key) || value === undefined) continue;
    // pino serialises a logged Error as {type, message, stack}: the message in the line, the stack below.
    if (key === 'err' && value !== null && typeof value === 'object' && 'message' in value) {
      const error = value as { message?: unknown; stack?: unknown };
      parts.push(`err=${formatValue(String(error.message))}`);
      if (typeof error.stack === 'string') stack = error.stack;
      continue;
    }
    parts.push(`${options.color ? paint('2', key) : key}=${formatValue(value)}`);
  }
  let line = `${parts.join(' ')}\n`;
  if (stack) {
    // The frames only: the lines before them repeat the message.
    const frames = stack.split('\n').filter((text) => /^\s+at /.test(text));
    for (const frame of frames.slice(0, 15)) line += `    ${escapeControls(frame.trim())}\n`;
  }
  return line;
}

/** A pino destination that writes readable lines to `sink` instead of the JSON records it is given. */
export function readableLines(sink: LineSink, options: { color: boolean }): LineSink {
  return {
    write(chunk: string) {
      let out = '';
      for (const text of chunk.split('\n')) {
        if (text === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(text);
        } catch {
          record = undefined;
        }
        out +=
          record !== null && typeof record === 'object'
            ? formatLogRecord(record as Record<string, unknown>, options)
            : `${escapeControls(text)}\n`;
      }
      return sink.write(out);
    },
    flush: (callback) => (sink.flush ? sink.flush(callback) : callback?.()),
    flushSync: () => sink.flushSync?.(),
  };
}
