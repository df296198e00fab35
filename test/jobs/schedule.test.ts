import assert from 'node:assert/strict';
import { it, mock } from 'node:test';
import { scheduleJob } from '../../src/jobs/schedule.ts';

it('runs a job every interval until stopped, and never when off', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    let runs = 0;
    const job = scheduleJob('6h', () => runs++);
    const off = scheduleJob('', () => runs++);
    mock.timers.tick(6 * 3_600_000 * 2 + 1);
    assert.equal(runs, 2);
    job.stop();
    off.stop();
    mock.timers.tick(6 * 3_600_000 * 3);
    assert.equal(runs, 2);
  } finally {
    mock.timers.reset();
  }
});

it('accepts cron expressions', () => {
  const job = scheduleJob('0 3 * * *', () => undefined);
  job.stop();
});
