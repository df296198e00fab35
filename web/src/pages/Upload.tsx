// Upload by drag and drop (or a file chooser), one request per file so each shows its own progress;
// two at a time. Then the list of the user's uploads and what the scan made of them.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api, apiPath, csrfToken, refreshSession, unwrap } from '../api/client.ts';
import { useUser } from '../api/session.ts';
import { Icon } from '../components/Icon.tsx';
import { t } from '../i18n/index.ts';
import { QueryState } from '../lib/paged.tsx';

interface Sending {
  id: number;
  name: string;
  size: number;
  sent: number;
  state: 'waiting' | 'sending' | 'done' | 'failed';
  error?: string;
}

const PARALLEL = 2;

/** The upload of one file; once more after a session refresh when the access token had expired. */
async function send(file: File, onProgress: (sent: number) => void): Promise<void> {
  try {
    await sendOnce(file, onProgress);
  } catch (error) {
    if (!(error instanceof ExpiredToken) || !(await refreshSession())) throw error;
    onProgress(0);
    await sendOnce(file, onProgress);
  }
}

class ExpiredToken extends Error {}

/** XMLHttpRequest rather than fetch: only it reports upload progress. */
function sendOnce(file: File, onProgress: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', apiPath('/uploads'));
    request.setRequestHeader('X-CSRF-Token', csrfToken());
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      if (request.status < 300) return resolve();
      let problem: { detail?: string; type?: string } = {};
      try {
        problem = JSON.parse(request.responseText) as typeof problem;
      } catch {
        // Not a problem document.
      }
      const detail = problem.detail ?? `HTTP ${request.status}`;
      reject(problem.type?.endsWith(':ACCESS_TOKEN_EXPIRED') ? new ExpiredToken(detail) : new Error(detail));
    };
    request.onerror = () => reject(new Error('network error'));
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}

export function UploadPage() {
  const user = useUser();
  const client = useQueryClient();
  const [items, setItems] = useState<Sending[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const nextId = useRef(1);
  const uploads = useQuery({
    queryKey: ['uploads'],
    queryFn: async () => unwrap(await api.GET('/api/v1/uploads')).items,
  });
  const allowed = user.admin || user.roles.upload;

  const update = (id: number, change: Partial<Sending>) =>
    setItems((list) => list.map((item) => (item.id === id ? { ...item, ...change } : item)));

  const start = (files: FileList | File[]) => {
    const queued = [...files].map((file) => ({
      file,
      item: { id: nextId.current++, name: file.name, size: file.size, sent: 0, state: 'waiting' as const },
    }));
    setItems((list) => [...queued.map((entry) => entry.item), ...list]);
    let at = 0;
    const worker = async () => {
      while (at < queued.length) {
        const { file, item } = queued[at++]!;
        update(item.id, { state: 'sending' });
        try {
          await send(file, (sent) => update(item.id, { sent }));
          update(item.id, { state: 'done', sent: item.size });
        } catch (error) {
          update(item.id, { state: 'failed', error: (error as Error).message });
        }
      }
      void client.invalidateQueries({ queryKey: ['uploads'] });
    };
    for (let i = 0; i < PARALLEL; i++) void worker();
  };

  if (!allowed)
    return (
      <div className="page">
        <h1>{t.upload.title}</h1>
        <p className="muted">{t.upload.noRole}</p>
      </div>
    );

  return (
    <div className="page" style={{ maxWidth: 960 }}>
      <h1>{t.upload.title}</h1>
      <section
        className={`drop-zone${over ? ' over' : ''}`}
        aria-label={t.upload.drop}
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          if (event.dataTransfer.files.length > 0) start(event.dataTransfer.files);
        }}
      >
        <Icon name="upload" />
        <p>{t.upload.drop}</p>
        <button type="button" className="button primary" onClick={() => input.current?.click()}>
          {t.upload.choose}
        </button>
        <input
          ref={input}
          type="file"
          multiple
          accept="audio/*,.flac,.opus,.ogg,.m4a,.mp3,.wav,.wv,.ape,.aiff"
          hidden
          aria-label={t.upload.choose}
          onChange={(event) => {
            if (event.target.files) start(event.target.files);
            event.target.value = '';
          }}
        />
      </section>
      {items.length > 0 && (
        <ul style={{ listStyle: 'none', padding: 0 }} aria-label={t.upload.title}>
          {items.map((item) => (
            <li key={item.id} className="panel" data-testid="upload-item" data-state={item.state}>
              <div className="toolbar" style={{ marginBottom: '0.4rem' }}>
                <strong className="ellipsis">{item.name}</strong>
                <span className="spacer" />
                <span className={item.state === 'failed' ? 'error-text' : 'muted'}>
                  {item.state === 'done'
                    ? t.upload.done
                    : item.state === 'failed'
                      ? `${t.upload.failed}: ${item.error}`
                      : `${Math.round((item.sent / Math.max(1, item.size)) * 100)}%`}
                </span>
              </div>
              <div
                className="progress"
                role="progressbar"
                aria-label={item.name}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round((item.sent / Math.max(1, item.size)) * 100)}
              >
                <div style={{ width: `${(item.sent / Math.max(1, item.size)) * 100}%` }} />
              </div>
            </li>
          ))}
        </ul>
      )}
      <h2 style={{ marginTop: '2rem' }}>{t.upload.yours}</h2>
      <QueryState query={uploads} empty={uploads.data?.length === 0 && t.none}>
        <table className="data">
          <tbody>
            {(uploads.data ?? []).map((upload) => (
              <tr key={upload.id}>
                <td>{upload.originalName}</td>
                <td>{upload.state}</td>
                <td className="faint">{upload.reason ?? ''}</td>
                <td>{t.time.dateTime(upload.uploadedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
    </div>
  );
}
