// Who is signed in: GET /me (a 401 means nobody), kept by TanStack Query under ['me']. Signing in and
// out go through here so the player and the cached pages follow.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, type Me, unwrap } from './client.ts';

export const ME_KEY = ['me'] as const;

export function useServerInfo() {
  return useQuery({
    queryKey: ['server'],
    queryFn: async () => unwrap(await api.GET('/api/v1/server')),
    staleTime: 60_000,
  });
}

export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async (): Promise<Me | null> => {
      const result = await api.GET('/api/v1/me');
      if (result.response.status === 401) return null;
      return unwrap(result);
    },
    staleTime: 5 * 60_000,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
}

/** The signed-in user (only inside the signed-in part of the app). */
export function useUser(): Me {
  const { data } = useMe();
  if (!data) throw new Error('useUser outside a session');
  return data;
}

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await api.POST('/api/v1/auth/logout', { body: {} }).catch(() => undefined);
    // Everything cached was this user's. The server's facts stay for the sign-in page, and 'me' is set
    // rather than removed: the app watches that very query.
    client.removeQueries({
      predicate: (query) => query.queryKey[0] !== 'server' && query.queryKey[0] !== 'me',
    });
    client.setQueryData(ME_KEY, null);
  };
}
