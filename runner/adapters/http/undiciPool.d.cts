import type { Dispatcher, Pool as UndiciPool } from 'undici';
/** undici's Pool class. */
export declare const Pool: typeof UndiciPool;
/** undici's request(), called with a dispatcher as `this` (what `pool.request` is). */
export declare function request(
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData>;
