import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { bindAsyncResourcesWithoutDeprecatedAccessor } from './async-resource-bind';

describe('bindAsyncResourcesWithoutDeprecatedAccessor', () => {
  beforeAll(() => bindAsyncResourcesWithoutDeprecatedAccessor());

  it('runs a bound function in the async context the resource was made in', () => {
    const storage = new AsyncLocalStorage<string>();
    const resource = storage.run('request 1', () => new AsyncResource('test'));
    const bound = resource.bind(() => storage.getStore());

    expect(storage.run('request 2', () => bound())).toBe('request 1');
  });

  it('keeps the arguments, the result, the length and `this` (given, or the caller)', () => {
    function add(this: { base: number }, a: number, b: number): number {
      return this.base + a + b;
    }

    const withThis = AsyncResource.bind(add, 'test', { base: 100 });
    const withCaller = new AsyncResource('test').bind(add);

    expect(withThis.call({ base: 0 }, 1, 2)).toBe(103);
    expect(withCaller.call({ base: 10 }, 1, 2)).toBe(13);
    expect([withThis.length, withCaller.length]).toEqual([2, 2]);
    expect(Object.getOwnPropertyDescriptor(withThis, 'asyncResource')).toBeUndefined();
  });
});
