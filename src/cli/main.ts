#!/usr/bin/env node
import { reportFailure } from './output.ts';
// tonearm: the admin CLI. Every failure prints one line to stderr and exits non-zero.
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error);
}
