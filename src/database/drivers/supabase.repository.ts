import { createClient, SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { FunctionArgs, LeadSyncRepository } from '../lead-sync.repository';
import { StorageError, StorageUnavailableError, isUnavailable } from '../storage.errors';
import { storable } from '../storable';

/**
 * Supabase through supabase-js: every method is `rpc(fn, args)`, i.e. PostgREST's
 * `POST /rest/v1/rpc/<fn>` with the service-role key. Migrations are applied separately
 * (`npm run db:migrate`, or `npm run db:export` and `supabase db push`); at start the service
 * only checks the version.
 */
export class SupabaseRepository extends LeadSyncRepository {
  constructor(private readonly client: SupabaseClient) {
    super();
  }

  static connect(url: string, serviceRoleKey: string): SupabaseRepository {
    const client = createClient(url, serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // supabase-js 2.109 on Node 20 needs an explicit WebSocket for its (unused) realtime client.
      realtime: { transport: WebSocket as never },
    });
    return new SupabaseRepository(client);
  }

  protected async callFunction<T>(fn: string, args: FunctionArgs): Promise<T> {
    let response: Awaited<ReturnType<SupabaseClient['rpc']>>;
    try {
      // supabase-js serialises the arguments itself: they are cleaned as values (storable.ts).
      response = await this.client.rpc(fn, storable(args) as FunctionArgs);
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
    const { error, status } = response;
    const data: unknown = response.data;
    if (error) {
      // PostgREST answers 503/504 (or no status at all when fetch failed) when it cannot reach
      // the database; SQLSTATE-coded errors are the database's own.
      if (status === 0 || status >= 502 || !error.code || isUnavailable(error)) {
        throw new StorageUnavailableError(error);
      }
      if (status === 401 || status === 403) {
        throw new StorageError(
          `Supabase rejected the service role key (HTTP ${status}).`,
          error.code,
        );
      }
      throw new StorageError(error.message, error.code);
    }
    return data as T;
  }

  /**
   * Nothing is held open: requests are plain fetches and realtime is never connected. Calling
   * removeAllChannels regardless would disconnect realtime, whose disconnect (realtime-js 2.x)
   * arms a 10 s timer it never clears: the process, and Jest, would linger 10 s after close.
   */
  async close(): Promise<void> {
    if (this.client.getChannels().length > 0) await this.client.removeAllChannels();
  }
}
