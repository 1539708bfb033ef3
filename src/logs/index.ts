export { LogStore, MAX_PARTIAL_LINE_BYTES, TAIL_CHUNK_BYTES, DEFAULT_READ_BYTES } from './log-store';
export type { CopyOptions, CopyResult, LogStoreOptions } from './log-store';
export { redactSecrets, MIN_SECRET_BYTES } from './redact';
export { followLines } from './follow';
export type { FollowOptions } from './follow';
