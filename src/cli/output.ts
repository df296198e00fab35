import { CommanderError } from 'commander';
import { errorMessage, isTonearmError } from '../shared/errors.ts';

/** Prints one line for a failure and returns the exit code. Unexpected errors keep their stack in debug. */
export function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode;
  const message = errorMessage(error);
  process.stderr.write(`tonearm: ${message.split('\n')[0]}\n`);
  if (!isTonearmError(error) && process.env.TONEARM_DEBUG)
    process.stderr.write(`${(error as Error).stack}\n`);
  return isTonearmError(error) && error.code === 'CONFIG_INVALID' ? 2 : 1;
}

export function printTable(rows: Record<string, string | number>[], columns: string[]): void {
  if (rows.length === 0) return;
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(columns.map((column) => column.toUpperCase()))}\n`);
  for (const row of rows)
    process.stdout.write(`${line(columns.map((column) => String(row[column] ?? '')))}\n`);
}
