// The full results of a search (Enter in the search box, or /search?q=…), with its own field on phones.
import { useNavigate, useSearchParams } from 'react-router';
import { ArtistCard } from '../components/Cards.tsx';
import { useDebounced, useSearch } from '../components/SearchBox.tsx';
import { TrackRows } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { QueryState } from '../lib/paged.tsx';
import { player } from '../player/index.ts';
import { AlbumGrid } from './Albums.tsx';

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const text = params.get('q') ?? '';
  const query = useDebounced(text, 150);
  const results = useSearch(query, 50);
  const data = query.trim() ? results.data : undefined;
  const empty = data && data.artists.length + data.albums.length + data.tracks.length === 0;
  return (
    <div className="page">
      <h1>{t.search.results}</h1>
      <div className="toolbar">
        <label className="visually-hidden" htmlFor="search-page-input">
          {t.search.label}
        </label>
        <input
          id="search-page-input"
          className="input"
          type="search"
          style={{ flex: 1, maxWidth: 520 }}
          placeholder={t.search.placeholder}
          value={text}
          onChange={(event) => setParams({ q: event.target.value }, { replace: true })}
        />
      </div>
      {!query.trim() ? (
        <p className="muted">{t.search.hint}</p>
      ) : (
        <QueryState query={results} empty={empty && t.search.none(query)}>
          {data && data.artists.length > 0 && (
            <section className="shelf">
              <h2>{t.search.artists}</h2>
              <div className="shelf-row">
                {data.artists.map((artist) => (
                  <ArtistCard key={artist.id} artist={artist} />
                ))}
              </div>
            </section>
          )}
          {data && data.albums.length > 0 && (
            <section className="shelf">
              <h2>{t.search.albums}</h2>
              <AlbumGrid albums={data.albums} hasMore={false} loadMore={() => undefined} />
            </section>
          )}
          {data && data.tracks.length > 0 && (
            <section className="shelf">
              <h2>{t.search.songs}</h2>
              <TrackRows
                tracks={data.tracks}
                label={t.search.songs}
                options={{ numbering: 'position', showCover: true }}
                onPlay={(index) => player.play(data.tracks, index)}
                navigate={navigate}
              />
            </section>
          )}
        </QueryState>
      )}
    </div>
  );
}
