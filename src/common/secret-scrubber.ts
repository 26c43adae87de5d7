import { REDACTED } from './secret-headers';

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function replaceAll(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/**
 * `text` with every configured secret replaced by `[redacted]`, in any spelling a URL allows:
 * when the text holds percent-escapes and its decoded form reveals a secret (`%74ok_…` for
 * `tok_…`), the decoded form is returned, redacted. Text without secrets is returned as is.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const plain = replaceAll(text, secrets);
  if (!plain.includes('%')) return plain;
  const decoded = decodeOrKeep(plain);
  if (decoded === plain) return plain;
  const scrubbed = replaceAll(decoded, secrets);
  return scrubbed === decoded ? plain : scrubbed;
}

/** Whether `text` holds a secret, or a secret holds it (a long piece of one). */
export function overlapsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some(
    (secret) => text.includes(secret) || (text.length >= 12 && secret.includes(text)),
  );
}
