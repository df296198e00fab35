// Short confirmations ("Added to playlist") and errors, announced to screen readers.
import { Store, useStore } from '../lib/store.ts';

interface Toast {
  id: number;
  text: string;
  error: boolean;
}

const toasts = new Store<{ items: Toast[] }>({ items: [] });
let nextId = 1;

export function toast(text: string, options: { error?: boolean } = {}): void {
  const id = nextId++;
  toasts.set((state) => ({ items: [...state.items, { id, text, error: options.error ?? false }].slice(-3) }));
  setTimeout(() => toasts.set((state) => ({ items: state.items.filter((item) => item.id !== id) })), 3500);
}

export function toastError(error: unknown): void {
  toast(error instanceof Error ? error.message : String(error), { error: true });
}

export function Toasts() {
  const items = useStore(toasts, (state) => state.items);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {items.map((item) => (
        <div key={item.id} className={item.error ? 'toast error' : 'toast'}>
          {item.text}
        </div>
      ))}
    </div>
  );
}
