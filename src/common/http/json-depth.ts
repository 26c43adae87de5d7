/**
 * How deep a JSON body may nest. A call is a flat record, at most wrapped a few times, and no
 * endpoint takes more; deeper input only serves to exhaust the stack of whatever walks it next
 * (class-transformer and class-validator recurse), so it is refused before validation.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether parsed JSON nests deeper than MAX_JSON_DEPTH, measured without recursion. Asked of every
 * webhook body: only objects are stacked (a flat record is one entry, not one per field).
 */
export function isTooDeep(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const objects: object[] = [value];
  const depths: number[] = [1];
  while (objects.length > 0) {
    const item = objects.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_JSON_DEPTH) return true;
    for (const child of Object.values(item)) {
      if (child === null || typeof child !== 'object') continue;
      objects.push(child as object);
      depths.push(depth + 1);
    }
  }
  return false;
}
