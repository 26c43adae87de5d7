import { FunctionArgs, LeadSyncRepository } from '../../src/database/lead-sync.repository';

/**
 * A repository for unit specs: every SQL function call is recorded with its arguments and
 * answered by the handler the spec gave for that function (a call without one fails loudly).
 * The repository's own mapping from methods to functions and arguments stays the real one.
 */
export class RecordingRepository extends LeadSyncRepository {
  readonly calls: { fn: string; args: FunctionArgs }[] = [];
  private readonly handlers = new Map<string, (args: FunctionArgs) => unknown>();

  /** Answers calls of `fn` with what `handler` returns (or throws, or rejects with). */
  on(fn: string, handler: (args: FunctionArgs) => unknown): this {
    this.handlers.set(fn, handler);
    return this;
  }

  /** The arguments of every call of `fn`, in order. */
  callsOf(fn: string): FunctionArgs[] {
    return this.calls.filter((call) => call.fn === fn).map((call) => call.args);
  }

  protected async callFunction<T>(fn: string, args: FunctionArgs): Promise<T> {
    this.calls.push({ fn, args });
    const handler = this.handlers.get(fn);
    if (!handler) throw new Error(`RecordingRepository: no answer for ${fn}`);
    return (await handler(args)) as T;
  }

  async close(): Promise<void> {}
}
