// The listener's own statistics (minutes, plays, skip and play-through rates, listening by hour, weekday
// and day, top songs, artists, albums and genres) and the year in music. Charts are plain SVG-free bars:
// a few dozen divs, no chart library in the download.
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client.ts';
import { t } from '../i18n/index.ts';
import { QueryState } from '../lib/paged.tsx';

const RANGES: Record<string, number | null> = { week: 7, month: 30, year: 365, all: null };
const tz = () => -new Date().getTimezoneOffset();
const minutes = (ms: number) => Math.round(ms / 60_000).toLocaleString();
const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

function Bars({
  values,
  labels,
  label,
  format,
}: {
  values: number[];
  labels: string[];
  label: string;
  format: (value: number) => string;
}) {
  const max = Math.max(1, ...values);
  return (
    <figure style={{ margin: 0 }}>
      <figcaption className="visually-hidden">{label}</figcaption>
      <div
        className="bars"
        role="img"
        aria-label={`${label}: ${values.map((value, i) => `${labels[i]} ${format(value)}`).join(', ')}`}
      >
        {values.map((value, i) => (
          <div
            key={labels[i]}
            style={{ height: `${(value / max) * 100}%` }}
            title={`${labels[i]}: ${format(value)}`}
          />
        ))}
      </div>
      <div className="bar-labels" aria-hidden="true">
        {labels.map((text, i) => (
          <span key={text}>{values.length > 12 && i % 3 !== 0 ? '' : text}</span>
        ))}
      </div>
    </figure>
  );
}

function Totals({ totals }: { totals: Schemas['ListeningTotals'] }) {
  const items: [string, string][] = [
    [t.stats.minutes, minutes(totals.listenedMs)],
    [t.stats.plays, totals.plays.toLocaleString()],
    [t.stats.skips, totals.skips.toLocaleString()],
    [t.stats.skipRate, percent(totals.skipRate)],
    [t.stats.completionRate, percent(totals.playThroughRate)],
  ];
  return (
    <div className="stat-grid">
      {items.map(([label, value]) => (
        <div className="stat" key={label}>
          <div className="value">{value}</div>
          <div className="label">{label}</div>
        </div>
      ))}
    </div>
  );
}

function TopList({
  title,
  items,
  link,
}: {
  title: string;
  items: { id: string; name: string; plays: number }[];
  link?: (id: string) => string;
}) {
  if (items.length === 0) return null;
  return (
    <section className="panel">
      <h2>{title}</h2>
      <ol style={{ margin: 0, paddingLeft: '1.4rem' }}>
        {items.slice(0, 10).map((item) => (
          <li key={item.id} style={{ marginBottom: '0.3rem' }}>
            {link ? <Link to={link(item.id)}>{item.name}</Link> : item.name}{' '}
            <span className="faint">
              · {t.stats.plays.toLowerCase()} {item.plays}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Tops({ top }: { top: Schemas['ListeningTops'] }) {
  return (
    <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(280px, 1fr))' }}>
      <TopList title={t.stats.topTracks} items={top.tracks} />
      <TopList title={t.stats.topArtists} items={top.artists} link={(id) => `/artists/${id}`} />
      <TopList title={t.stats.topAlbums} items={top.albums} link={(id) => `/albums/${id}`} />
      <TopList title={t.stats.topGenres} items={top.genres} />
    </div>
  );
}

export function StatsPage() {
  const [params, setParams] = useSearchParams();
  const range = params.get('range') && params.get('range')! in RANGES ? params.get('range')! : 'month';
  const days = RANGES[range];
  const stats = useQuery({
    queryKey: ['stats', range],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/me/stats', {
          params: {
            query: {
              tz: tz(),
              from:
                days === null || days === undefined
                  ? new Date(0).toISOString()
                  : new Date(Date.now() - days * 86_400_000).toISOString(),
            },
          },
        }),
      ),
  });
  const year = new Date().getFullYear();
  const data = stats.data;
  return (
    <div className="page">
      <h1>{t.stats.title}</h1>
      <div className="toolbar">
        <label className="visually-hidden" htmlFor="stats-range">
          {t.stats.range}
        </label>
        <select
          id="stats-range"
          className="select"
          value={range}
          onChange={(event) => setParams({ range: event.target.value }, { replace: true })}
        >
          {Object.keys(RANGES).map((key) => (
            <option key={key} value={key}>
              {t.stats.ranges[key]}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <Link className="button" to={`/stats/year/${year}`}>
          {t.stats.yearInMusic(year)}
        </Link>
        <Link className="button" to={`/stats/year/${year - 1}`}>
          {t.stats.yearInMusic(year - 1)}
        </Link>
      </div>
      <QueryState query={stats} empty={data?.totals.listens === 0 && t.stats.noData}>
        {data && (
          <>
            <Totals totals={data.totals} />
            <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))' }}>
              <section className="panel">
                <h2>{t.stats.byHour}</h2>
                <Bars
                  values={data.byHourOfDay}
                  labels={data.byHourOfDay.map((_, hour) => String(hour))}
                  label={t.stats.byHour}
                  format={(ms) => `${minutes(ms)} min`}
                />
              </section>
              <section className="panel">
                <h2>{t.stats.byWeekday}</h2>
                <Bars
                  values={data.byWeekday}
                  labels={t.stats.weekdays}
                  label={t.stats.byWeekday}
                  format={(ms) => `${minutes(ms)} min`}
                />
              </section>
            </div>
            {data.byDay.length > 1 && (
              <section className="panel">
                <h2>{t.stats.byDay}</h2>
                <Bars
                  values={data.byDay.map((day) => day.listenedMs)}
                  labels={data.byDay.map((day) => day.date.slice(5))}
                  label={t.stats.byDay}
                  format={(ms) => `${minutes(ms)} min`}
                />
              </section>
            )}
            <Tops top={data.top} />
          </>
        )}
      </QueryState>
    </div>
  );
}

export function YearPage() {
  const year = Number(useParams().year);
  const review = useQuery({
    queryKey: ['stats', 'year', year],
    enabled: Number.isInteger(year),
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/me/stats/year/{year}', { params: { path: { year }, query: { tz: tz() } } }),
      ),
  });
  const data = review.data;
  return (
    <div className="page">
      <h1>{t.stats.yearInMusic(year)}</h1>
      <QueryState query={review} empty={data?.totals.listens === 0 && t.stats.noData}>
        {data && (
          <>
            <div className="stat-grid">
              <div className="stat">
                <div className="value">{data.minutesListened.toLocaleString()}</div>
                <div className="label">{t.stats.minutes}</div>
              </div>
              <div className="stat">
                <div className="value">{data.distinct.artists.toLocaleString()}</div>
                <div className="label">{t.nav.artists}</div>
              </div>
              <div className="stat">
                <div className="value">{data.newArtists.toLocaleString()}</div>
                <div className="label">{t.stats.newArtists}</div>
              </div>
              <div className="stat">
                <div className="value">{data.distinct.tracks.toLocaleString()}</div>
                <div className="label">{t.nav.songs}</div>
              </div>
              {data.busiestDay && (
                <div className="stat">
                  <div className="value">{t.time.date(data.busiestDay.date)}</div>
                  <div className="label">
                    {t.stats.busiestDay} · {minutes(data.busiestDay.listenedMs)} min
                  </div>
                </div>
              )}
            </div>
            <Tops top={data.top} />
          </>
        )}
      </QueryState>
    </div>
  );
}
