// Lets Subsonic handlers (static endpoint objects) reach the dependencies createApp was given: the app
// registers them once, a handler looks them up from its request's Koa app.
import type { AppDeps } from './app.ts';

const registry = new WeakMap<object, AppDeps>();

export function registerAppDeps(app: object, deps: AppDeps): void {
  registry.set(app, deps);
}

/** The dependencies of the app serving this request. */
export function appDeps(ctx: { app: object }): AppDeps {
  const deps = registry.get(ctx.app);
  if (!deps) throw new Error('app dependencies were not registered (createApp does that)');
  return deps;
}
