/**
 * Small readers for environment variables. Each throws an `InvalidConfigError` naming the
 * variable, so a bad value stops boot with a message the operator can act on.
 */
export type Env = Record<string, string | undefined>;

export class InvalidConfigError extends Error {
  constructor(
    readonly variable: string,
    expectation: string,
  ) {
    super(`Invalid configuration: ${variable} ${expectation}`);
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string;
export function readString(env: Env, name: string): string | undefined;
export function readString(env: Env, name: string, fallback?: string): string | undefined {
  return raw(env, name) ?? fallback;
}

export function readInt(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const min = bounds.min ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidConfigError(name, `must be an integer between ${min} and ${max}`);
  }
  return Number(value);
}

/** Only the words true/false (and 1/0): `Boolean('false')` is the classic trap. */
export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidConfigError(name, 'must be true or false');
}

export function readEnum<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A comma-separated list; empty items are dropped. */
export function readList(env: Env, name: string): string[] {
  return (raw(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function readTimeZone(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw new InvalidConfigError(name, 'must be an IANA time zone such as Asia/Kolkata');
  }
  return value;
}
