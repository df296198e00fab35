// Stars and ratings change in place everywhere they show: a local layer over what the lists answered,
// so starring a song in a 100k-song list does not refetch the list. Starred lists are refetched.
import { useQueryClient } from '@tanstack/react-query';
import { Store, useStore } from '../lib/store.ts';
import { api, unwrap } from './client.ts';

const starred = new Store<Record<string, string | null>>({});
const ratings = new Store<Record<string, number | null>>({});

export function useStarredAt(id: string, fromServer: string | null | undefined): string | null {
  return useStore(starred, (state) => (id in state ? state[id]! : (fromServer ?? null)));
}

export function useRating(id: string, fromServer: number | null | undefined): number | null {
  return useStore(ratings, (state) => (id in state ? state[id]! : (fromServer ?? null)));
}

export function useAnnotations() {
  const client = useQueryClient();
  return {
    async setStar(id: string, on: boolean) {
      const before = starred.get()[id];
      starred.set({ [id]: on ? new Date().toISOString() : null });
      try {
        if (on) unwrap(await api.PUT('/api/v1/stars/{id}', { params: { path: { id } } }));
        else unwrap(await api.DELETE('/api/v1/stars/{id}', { params: { path: { id } } }));
        void client.invalidateQueries({ queryKey: ['starred'] });
      } catch (error) {
        starred.set({ [id]: before ?? null });
        throw error;
      }
    },
    async setRating(id: string, rating: number) {
      const before = ratings.get()[id];
      ratings.set({ [id]: rating || null });
      try {
        unwrap(await api.PUT('/api/v1/ratings/{id}', { params: { path: { id } }, body: { rating } }));
      } catch (error) {
        ratings.set({ [id]: before ?? null });
        throw error;
      }
    },
  };
}
