/** The Mithril HTTP API as Flow uses it: one client, and one module per resource. */
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
