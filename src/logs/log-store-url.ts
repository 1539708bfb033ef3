/** URL schemes of the PostgreSQL log store (FLOW_LOG_STORE, logs.store in config.yaml). */
export const POSTGRES_URL_PATTERN = /^postgres(ql)?:\/\//i;

/**
 * The URL with its password replaced by '****', for errors, logs and `flow config`: the password
 * is a secret. A URL that does not parse is hidden whole past its scheme (it may hold one too).
 */
export function redactUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '****';
    // A password can also ride in the query (?password=...).
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '****');
    return parsed.toString();
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
    return `${scheme}****`;
  }
}
