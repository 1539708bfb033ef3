/**
 * Keeps the account API key out of everything an error or log carries: a server that echoes
 * the Authorization header, or a proxy's error page, must not leak it into a message.
 */
export function redactSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length === 0) return text;
  return text.split(secret).join('[redacted]');
}
