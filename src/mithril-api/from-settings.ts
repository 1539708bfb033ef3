import { DEFAULT_MITHRIL_API_URL, type FlowSettings } from '../config/load-config';
import { AuthenticationError } from '../domain';
import { MithrilHttp, type MithrilHttpOptions } from './http-client';

/** The HTTP client for the configured account; no key (or the template's placeholder) says how to set one. */
export function mithrilHttpFromSettings(settings: FlowSettings['mithril'], options: Omit<MithrilHttpOptions, 'apiKey' | 'baseUrl'> = {}): MithrilHttp {
  const apiKey = settings.apiKey;
  if (apiKey === undefined || apiKey.startsWith('YOUR_')) {
    throw new AuthenticationError(apiKey === undefined ? 'No Mithril API key is configured' : 'The Mithril API key is still the placeholder value', [
      'Set MITHRIL_API_KEY, or store a key with: flow setup',
    ]);
  }
  return new MithrilHttp({ ...options, apiKey, baseUrl: settings.apiUrl || DEFAULT_MITHRIL_API_URL });
}
