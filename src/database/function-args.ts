import { FunctionArgs } from './lead-sync.types';

/**
 * The named fields of `values` as `<prefix><snake_case name>` arguments. An absent field (or absent
 * `values`) is passed as null rather than left out (buildFunctionCall and JSON both drop undefined),
 * so a look-up names the same arguments on every call and every driver.
 */
export function nullableArgs<T extends object>(
  prefix: string,
  values: T | undefined,
  fields: readonly (keyof T & string)[],
): FunctionArgs {
  const args: FunctionArgs = {};
  for (const field of fields) {
    args[prefix + field.replace(/[A-Z]/g, (upper) => `_${upper.toLowerCase()}`)] =
      values?.[field] ?? null;
  }
  return args;
}

/** A keyset page's arguments: `p_limit`, and the cursor's fields as `p_after_…` (null on page one). */
export function pageArgs<K extends object>(
  page: { limit: number; after?: K },
  cursorFields: readonly (keyof K & string)[],
): FunctionArgs {
  return { p_limit: page.limit, ...nullableArgs('p_after_', page.after, cursorFields) };
}
