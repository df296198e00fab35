// Lets Subsonic handlers (static endpoint objects) reach the dependencies createApp was given: the app
// registers them once, a handler looks them up from its request's Koa app.
import type { ResolvedAppDeps } from './app.ts';

const registry = new WeakMap<object, ResolvedAppDeps>();

export function registerAppDeps(app: object, deps: ResolvedAppDeps): void {
  registry.set(app, deps);
}

/** The dependencies of the app serving this request. */
export function appDeps(holder: { app: object } | object): ResolvedAppDeps {
  const deps = registry.get('app' in holder ? (holder.app as object) : holder);
  if (!deps) throw new Error('app dependencies were not registered (createApp does that)');
  return deps;
}
