// The queue beside the page (a sheet on phones): what plays, what comes next, drag to reorder (mouse,
// touch, or the keyboard: Space to pick up, arrows to move; or Alt+Up/Down on an entry), remove, clear.
import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import {
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { t } from '../i18n/index.ts';
import { useStore } from '../lib/store.ts';
import { player, usePlayer } from '../player/index.ts';
import type { QueueEntry } from '../player/player-store.ts';
import { Cover } from './Cover.tsx';
import { Icon } from './Icon.tsx';
import { panels, togglePanel } from './PlayerBar.tsx';

/** After a removal, focus goes to the entry that took its place (or the one before), not to the page. */
function focusEntry(index: number): void {
  requestAnimationFrame(() => {
    const entries = document.querySelectorAll<HTMLElement>('.queue-list .queue-item button.meta');
    (
      entries[Math.min(index, entries.length - 1)] ??
      document.querySelector<HTMLElement>('.queue-panel header button')
    )?.focus();
  });
}

/** Entries shown after the current one; a whole library queued would make a page of thousands. */
const SHOWN_AFTER = 300;

function QueueItem({ entry, index, current }: { entry: QueueEntry; index: number; current: boolean }) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({
    id: entry.key,
  });
  const track = entry.track;
  return (
    <li
      ref={setNodeRef}
      className={`queue-item${current ? ' current' : ''}${isDragging ? ' dragging' : ''}`}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      data-testid="queue-item"
      data-track-id={track.id}
      onKeyDown={(event) => {
        if (!event.altKey) return;
        if (event.key === 'ArrowUp') player.move(index, index - 1);
        else if (event.key === 'ArrowDown') player.move(index, index + 1);
        else return;
        event.preventDefault();
      }}
    >
      <button
        type="button"
        className="icon-button small drag-handle"
        aria-label={`${t.player.dragToReorder}: ${track.title}`}
        {...attributes}
        {...listeners}
      >
        <Icon name="drag" />
      </button>
      <Cover id={track.coverArtId} size={40} />
      <button
        type="button"
        className="meta"
        onClick={() => player.jumpTo(index)}
        aria-current={current ? 'true' : undefined}
      >
        <div className="track-title ellipsis">{track.title}</div>
        <div className="track-sub ellipsis">{track.artistName}</div>
      </button>
      <button
        type="button"
        className="icon-button small"
        aria-label={`${t.player.removeFromQueue}: ${track.title}`}
        onClick={() => {
          player.remove(index);
          focusEntry(index);
        }}
      >
        <Icon name="close" />
      </button>
    </li>
  );
}

export function QueuePanel() {
  const open = useStore(panels, (state) => state.queue);
  const queue = usePlayer((state) => state.queue);
  const index = usePlayer((state) => state.index);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  if (!open) return null;
  const shown = queue.slice(0, Math.max(0, index) + 1 + SHOWN_AFTER);
  const onDragEnd = (event: DragEndEvent) => {
    if (!event.over) return;
    const from = queue.findIndex((entry) => entry.key === event.active.id);
    const to = queue.findIndex((entry) => entry.key === event.over!.id);
    if (from >= 0 && to >= 0) player.move(from, to);
  };
  return (
    <aside className="queue-panel" aria-label={t.player.queue}>
      <header>
        <h2>{t.player.queue}</h2>
        <div>
          <button
            type="button"
            className="button small"
            onClick={() => {
              player.clear();
              focusEntry(0);
            }}
            disabled={queue.length === 0}
          >
            {t.player.clearQueue}
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={t.close}
            onClick={() => togglePanel('queue')}
          >
            <Icon name="close" />
          </button>
        </div>
      </header>
      {queue.length === 0 ? (
        <p className="empty">{t.player.emptyQueue}</p>
      ) : (
        <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
          <SortableContext items={shown.map((entry) => entry.key)} strategy={verticalListSortingStrategy}>
            <ol className="queue-list" aria-label={t.player.queue}>
              {shown.map((entry, i) => (
                <QueueItem key={entry.key} entry={entry} index={i} current={i === index} />
              ))}
              {queue.length > shown.length && (
                <li className="faint queue-heading">{t.library.songs(queue.length - shown.length)} …</li>
              )}
            </ol>
          </SortableContext>
        </DndContext>
      )}
    </aside>
  );
}
