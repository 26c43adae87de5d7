import { FunctionArgs } from '../lead-sync.repository';
import { storableJson, storableText } from '../storable';
import { toStorageError } from '../storage.errors';

const FUNCTION_NAME = /^knowlarity_[a-z0-9_]+$/;
const ARGUMENT_NAME = /^p_[a-z0-9_]+$/;

/**
 * Builds `select fn(p_a => $1, ...) as result`: the same named-argument call PostgREST makes for
 * `rpc`, so the SQL drivers and the supabase driver call functions identically. JSON values are
 * sent as text and typed by the function's signature; text and JSON are made storable on the
 * way (see storable.ts).
 */
export function buildFunctionCall(
  fn: string,
  args: FunctionArgs,
): { text: string; values: unknown[] } {
  if (!FUNCTION_NAME.test(fn)) throw new Error(`Refusing to call unexpected function ${fn}`);
  const names = Object.keys(args).filter((name) => args[name] !== undefined);
  const placeholders = names.map((name, index) => {
    if (!ARGUMENT_NAME.test(name)) throw new Error(`Unexpected argument name ${name}`);
    return `${name} => $${index + 1}`;
  });
  const values = names.map((name) => toParameter(args[name]));
  return { text: `select ${fn}(${placeholders.join(', ')}) as result`, values };
}

/**
 * Calls `fn` through a SQL client's `query` (a PGlite database or a `pg` pool) and returns its
 * one JSON result; a failure comes back as a StorageError.
 */
export async function runFunctionCall<T>(
  fn: string,
  args: FunctionArgs,
  query: (text: string, values: unknown[]) => Promise<{ rows: { result: T }[] }>,
): Promise<T> {
  const { text, values } = buildFunctionCall(fn, args);
  try {
    const result = await query(text, values);
    return result.rows[0].result;
  } catch (error) {
    throw toStorageError(error);
  }
}

function toParameter(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return storableJson(value);
  if (typeof value === 'string') return storableText(value);
  return value;
}
