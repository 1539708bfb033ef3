/**
 * The Mithril HTTP API as Flow uses it: one client, and one module per resource. Pure code with
 * the caller's credentials and no worker state, so both the provider (in the worker) and `flow
 * setup` (checking a key before saving it) use it; it is not a provider internal.
 */
export * from './http-client';
export * from './from-settings';
export * from './http-errors';
export * from './envelope';
export * from './retry-policy';
export * from './idempotency';
export * from './status-mapping';
export * from './projects';
export * from './instance-types';
export * from './availability';
export * from './offers';
export * from './bids';
export * from './instances';
export * from './volumes';
export * from './ssh-keys';
