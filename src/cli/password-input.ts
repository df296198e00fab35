import { TonearmError } from '../shared/errors.ts';

/** --password, --password-stdin, or a hidden prompt on a terminal. */
export async function readPassword(
  flags: { password?: string; passwordStdin?: boolean },
  prompt = 'password: ',
): Promise<string> {
  if (flags.password !== undefined && flags.passwordStdin)
    throw new TonearmError('INVALID_INPUT', 'use either --password or --password-stdin, not both');
  if (flags.password !== undefined) return flags.password;
  if (flags.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (text === '') throw new TonearmError('INVALID_INPUT', 'no password on standard input');
    return text;
  }
  if (!process.stdin.isTTY)
    throw new TonearmError('INVALID_INPUT', 'no password given: use --password or --password-stdin');
  return promptHidden(prompt);
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          cleanup();
          process.stderr.write('\n');
          if (value === '') reject(new TonearmError('INVALID_INPUT', 'empty password'));
          else resolve(value);
          return;
        }
        if (char === '\u0003') {
          cleanup();
          reject(new TonearmError('INVALID_INPUT', 'cancelled'));
          return;
        }
        if (char === '\u007f') value = value.slice(0, -1);
        else value += char;
      }
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}
