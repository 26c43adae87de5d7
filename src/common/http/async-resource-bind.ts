import { AsyncResource } from 'node:async_hooks';

type Bind = (
  this: AsyncResource,
  fn: (...args: unknown[]) => unknown,
  thisArg?: unknown,
) => unknown;

let installed = false;

/**
 * Node 20's `AsyncResource#bind` defines a deprecated `asyncResource` accessor (DEP0172) on every
 * function it binds, wrapping its getter and setter in `util.deprecate` each time: about 20 µs of
 * CPU per call. Fastify binds once per request with a body (its content-type parser keeps the
 * request's async context, and with it the logger's request id, across the body's arrival), which
 * made this a twentieth of the service's CPU per webhook. This replaces it, once per process, by
 * the same binding without the deprecated accessor: the function runs in the resource's async
 * scope with the same `this`, arguments, result and `length`. On a Node that no longer defines
 * the accessor nothing is replaced.
 */
export function bindAsyncResourcesWithoutDeprecatedAccessor(): void {
  if (installed) return;
  installed = true;
  const probe = new AsyncResource('probe').bind(() => undefined);
  if (Object.getOwnPropertyDescriptor(probe, 'asyncResource') === undefined) return;
  const leanBind: Bind = function (fn, thisArg) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the resource the function runs in
    const resource = this;
    const bound =
      thisArg === undefined
        ? function (this: unknown, ...args: unknown[]) {
            return resource.runInAsyncScope(fn, this, ...args);
          }
        : (...args: unknown[]) => resource.runInAsyncScope(fn, thisArg, ...args);
    Object.defineProperty(bound, 'length', { configurable: true, value: fn.length });
    return bound;
  };
  AsyncResource.prototype.bind = leanBind as typeof AsyncResource.prototype.bind;
}
