// Periodic jobs from a schedule string: a duration ("6h") or a cron expression ("0 3 * * *").
import { Cron } from 'croner';
import { describeSchedule } from '../config/schema.ts';

export interface ScheduledJob {
  stop(): void;
}

export function scheduleJob(schedule: string, run: () => void): ScheduledJob {
  const parsed = describeSchedule(schedule);
  if (!parsed || parsed.kind === 'off') return { stop: () => undefined };
  if (parsed.kind === 'interval') {
    const timer = setInterval(run, parsed.ms);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  const job = new Cron(parsed.expression, { protect: true, unref: true }, run);
  return { stop: () => job.stop() };
}
