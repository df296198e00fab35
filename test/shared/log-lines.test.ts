// Readable log lines: the format choice (auto is readable on a terminal, JSON elsewhere), the line a
// record becomes, and a real logger writing them. The terminal detection of a whole process is tested
// with `tonearm serve` under a pseudo-terminal in test/cli/first-run.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseLogFormat, formatLogRecord, readableLines } from '../../src/shared/log-lines.ts';
import { createLogger } from '../../src/shared/logger.ts';

function capture(): { sink: { write(text: string): void }; text(): string } {
  const chunks: string[] = [];
  return { sink: { write: (text: string) => void chunks.push(text) }, text: () => chunks.join('') };
}

describe('log format', () => {
  it('auto is readable lines on a terminal and JSON elsewhere; pretty and json are forced', () => {
    assert.equal(chooseLogFormat('auto', true), 'pretty');
    assert.equal(chooseLogFormat('auto', false), 'json');
    assert.equal(chooseLogFormat('pretty', false), 'pretty');
    assert.equal(chooseLogFormat('json', true), 'json');
  });

  it('a record becomes time, level, [component], message and key=value fields', () => {
    const line = formatLogRecord(
      {
        level: 40,
        time: '2026-01-02T03:04:05.678Z',
        app: 'tonearm',
        component: 'scanner',
        msg: 'skipped a file',
        path: '/music/a b.mp3',
        files: 3,
        ok: false,
        libraries: ['/music'],
      },
      { color: false },
    );
    assert.match(
      line,
      /^\d\d:\d\d:\d\d\.678 WARN {2}\[scanner\] skipped a file path="\/music\/a b\.mp3" files=3 ok=false libraries=\["\/music"\]\n$/,
    );
    assert.ok(!line.includes('tonearm'), 'the app name is the same on every line');
  });

  it('escapes control characters, so a logged value cannot drive the terminal', () => {
    const line = formatLogRecord(
      {
        level: 30,
        time: Date.now(),
        msg: 'bad\u001b[2Jname\nsecond',
        file: 'x\u001b]0;title\u0007y',
        c1: '\u009b',
      },
      { color: false },
    );
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(line), JSON.stringify(line));
    assert.equal(line.split('\n').length, 2, 'one line');
    assert.match(line, /bad\\u001b\[2Jname\\u000asecond/);
  });

  it('a logged error shows its message in the line and its stack frames below', () => {
    const line = formatLogRecord(
      {
        level: 50,
        time: Date.now(),
        msg: 'request failed',
        err: {
          type: 'Error',
          message: 'boom',
          stack: 'Error: boom\n    at one (a.ts:1:1)\n    at two (b.ts:2:2)',
        },
      },
      { color: false },
    );
    assert.match(
      line,
      / ERROR request failed err=boom\n {4}at one \(a\.ts:1:1\)\n {4}at two \(b\.ts:2:2\)\n$/,
    );
  });

  it('colours only when asked', () => {
    const record = { level: 30, time: Date.now(), msg: 'hello', n: 1 };
    assert.ok(!formatLogRecord(record, { color: false }).includes('\u001b'));
    assert.match(formatLogRecord(record, { color: true }), /\u001b\[32mINFO/);
  });

  it('the stream passes on what is not a JSON record, escaped', () => {
    const out = capture();
    readableLines(out.sink, { color: false }).write('not json \u001b[31m\n');
    assert.equal(out.text(), 'not json \\u001b[31m\n');
  });
});

describe('createLogger', () => {
  it('writes JSON records to a given destination unless pretty is asked', () => {
    const json = capture();
    createLogger('info', json.sink).info({ files: 2 }, 'scan finished');
    const record = JSON.parse(json.text()) as Record<string, unknown>;
    assert.equal(record.msg, 'scan finished');
    assert.equal(record.files, 2);

    const pretty = capture();
    const logger = createLogger('info', pretty.sink, 'pretty');
    logger.child({ component: 'scanner' }).info({ files: 2, password: 'secret-pw' }, 'scan finished');
    logger.debug('below the level');
    assert.match(
      pretty.text(),
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[scanner\] scan finished files=2 password=\[hidden\]\n$/,
    );
  });
});
