// A minimal external store for state that outlives every page (the player): React components read it
// with useSyncExternalStore, selecting only what they show, so a time update re-renders the seek bar
// and nothing else.
import { useSyncExternalStore } from 'react';

export class Store<State extends object> {
  private state: State;
  private readonly listeners = new Set<(state: State, previous: State) => void>();

  constructor(initial: State) {
    this.state = initial;
  }

  get(): State {
    return this.state;
  }

  set(change: Partial<State> | ((state: State) => Partial<State>)): void {
    const previous = this.state;
    const partial = typeof change === 'function' ? change(previous) : change;
    this.state = { ...previous, ...partial };
    for (const listener of this.listeners) listener(this.state, previous);
  }

  subscribe(listener: (state: State, previous: State) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useStore<State extends object, Selected>(
  store: Store<State>,
  select: (state: State) => Selected,
): Selected {
  return useSyncExternalStore(
    (notify) => store.subscribe(notify),
    () => select(store.get()),
  );
}
