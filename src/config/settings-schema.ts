/**
 * The settings' schema (zod), loaded by load-config only when the settings are not simple
 * (settings-fast.ts), for explainSettings and for defaultSettings: building it is tens of ms
 * of a fresh CLI.
 */
import { z } from 'zod';
import { ProviderNameSchema } from '../domain/task-config';
import { PULL_POLICIES } from '../containers/pull-policy';
import { POSTGRES_URL_PATTERN } from '../logs/log-store-url';
import { SshSettingsSchema } from './fleet-schema';

import { DEFAULT_MITHRIL_API_URL } from './settings-fast';

/** Settings, resolved: explicit args > env vars > $FLOW_HOME/config.yaml > defaults. */
export const FlowSettingsSchema = z.strictObject({
  provider: ProviderNameSchema.default('local'),
  temporal: z
    .strictObject({
      /** The active named profile (TEMPORAL_PROFILE, temporal.profile); its fields sit below the TEMPORAL_* variables. */
      profile: z.string().trim().min(1, 'must not be empty').optional(),
      address: z.string().optional(),
      namespace: z.string().default('default'),
      apiKey: z.string().optional(),
      tls: z.boolean().default(false),
      tlsCertPath: z.string().optional(),
      tlsKeyPath: z.string().optional(),
      tlsCaPath: z.string().optional(),
      serverName: z.string().optional(),
    })
    .prefault({}),
  temporalBin: z.string().optional(),
  /** AES-256 key for the payload codec: base64 of 32 bytes, optionally `id:base64` (FLOW_ENCRYPTION_KEY). */
  encryptionKey: z.string().trim().min(1, 'must not be empty').optional(),
  local: z
    .strictObject({
      /** USD per instance-hour on local offers (default free), so price and cost limits can be tried here. */
      pricePerHour: z.coerce.number({ error: 'must be a price in USD per hour, e.g. 2.5' }).min(0, 'must not be negative').default(0),
      /** New local volumes are encrypted at rest unless a task says encrypted: false (FLOW_ENCRYPT_VOLUMES=1). */
      encryptVolumes: z.boolean().default(false),
      /** Container runtime(s) to try for tasks with an image, e.g. "podman" or "podman,docker" (FLOW_CONTAINER_RUNTIME). */
      containerRuntime: z.string().trim().min(1, 'must not be empty').optional(),
      /** When a task's image is pulled: missing (default), always, never (FLOW_IMAGE_PULL_POLICY). */
      imagePullPolicy: z.enum(PULL_POLICIES, { error: 'must be missing, always or never' }).default('missing'),
      /** Host mode: a task's image is ignored and its command runs on this machine (FLOW_NO_IMAGE=1, flow run --no-image). */
      noImage: z.boolean().default(false),
    })
    .prefault({}),
  mithril: z
    .strictObject({
      apiKey: z.string().trim().min(1, 'must not be empty').optional(),
      project: z.string().trim().min(1, 'must not be empty').optional(),
      region: z.string().trim().min(1, 'must not be empty').optional(),
      apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(DEFAULT_MITHRIL_API_URL),
      sshKeys: z.array(z.string().trim().min(1, 'must not be empty')).default([]),
    })
    .prefault({}),
  /** The SSH fleet (`flow fleet add`): hosts the ssh provider runs tasks on. */
  ssh: SshSettingsSchema.prefault({}),
  logs: z
    .strictObject({
      /** Where task logs live: unset, files in FLOW_HOME; a postgres:// URL, a database many machines share (FLOW_LOG_STORE). */
      store: z
        .string()
        .trim()
        .regex(POSTGRES_URL_PATTERN, 'FLOW_LOG_STORE (or logs.store in config.yaml) must be a postgres:// URL, e.g. postgres://flow:PASSWORD@db:5432/flow_logs; unset it to keep logs in files')
        .optional(),
    })
    .prefault({}),
});
export type FlowSettings = z.infer<typeof FlowSettingsSchema> & { home: string };
export type FlowSettingsInput = z.input<typeof FlowSettingsSchema>;
