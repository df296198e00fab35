// `tonearm history import USER FILE`: a ListenBrainz or Last.fm export into a user's listening history
// (src/listening/history-import.ts), with the report of what matched.
import fs from 'node:fs';
import { findUserByName } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { historyImported, registerInsightJobs } from '../insights/jobs.ts';
import { JobQueue } from '../jobs/queue.ts';
import { importHistory } from '../listening/history-import.ts';
import { silentLogger } from '../shared/logger.ts';
import { TonearmError } from '../shared/errors.ts';

export async function runHistoryImport(
  db: Database,
  username: string,
  file: string,
  flags: { json?: boolean },
): Promise<void> {
  const user = findUserByName(db, username);
  if (!user) throw new TonearmError('NOT_FOUND', `no user ${username}`);
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TonearmError('INVALID_INPUT', `cannot read ${file}: ${(error as Error).message}`);
  }
  const report = await importHistory(db, user, content);
  // Many new plays: the running server rebuilds its models from the job this queues.
  const jobs = new JobQueue({ db, logger: silentLogger });
  registerInsightJobs(jobs, db);
  const rebuild = historyImported(jobs, report.matched - report.alreadyImported);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const lines = [
    `${report.format} export: ${report.total} listens`,
    `matched ${report.matched} (${report.byMbid} by MusicBrainz id, ${report.byName} by artist and title), ` +
      `${report.matched - report.alreadyImported} new, ${report.alreadyImported} imported before`,
    `unmatched ${report.unmatched}${report.invalid > 0 ? `, ${report.invalid} entries without a time, artist or title` : ''}`,
  ];
  if (report.unmatchedTop.length > 0) {
    lines.push('most frequent unmatched:');
    for (const entry of report.unmatchedTop.slice(0, 20))
      lines.push(`  ${String(entry.count).padStart(5)}  ${entry.artist} — ${entry.title}`);
  }
  if (rebuild)
    lines.push('the recommendations will be rebuilt by the server (an insights-recompute job is queued)');
  process.stdout.write(`${lines.join('\n')}\n`);
}
