/**
 * How deep a JSON body may nest. A call is a flat record, at most wrapped a few times, and no
 * endpoint takes more; deeper input only serves to exhaust the stack of whatever walks it next
 * (class-transformer and class-validator recurse), so it is refused before validation.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether parsed JSON nests deeper than MAX_JSON_DEPTH, measured without recursion. */
export function isTooDeep(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > MAX_JSON_DEPTH) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}
