import { createClient, SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { FunctionArgs, LeadSyncRepository } from '../lead-sync.repository';
import { StorageError, StorageUnavailableError, isUnavailable } from '../storage.errors';
import { storable } from '../storable';

/**
 * Supabase through supabase-js: every method is `rpc(fn, args)`, i.e. PostgREST's
 * `POST /rest/v1/rpc/<fn>` with the service-role key. Migrations are applied separately
 * (`npm run db:migrate` or `supabase db push`); at start the service only checks the version.
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
    const { data, error, status } = response;
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

  async close(): Promise<void> {
    await this.client.removeAllChannels();
  }
}
