#!/usr/bin/env node
// tonearm: the admin CLI. Every failure prints one line to stderr and exits non-zero.
import { buildProgram } from './program.ts';
import { reportFailure } from './output.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error);
}
