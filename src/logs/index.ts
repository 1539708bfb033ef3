export { LogStore, MAX_PARTIAL_LINE_BYTES, TAIL_CHUNK_BYTES, DEFAULT_READ_BYTES } from './log-store';
export type { CopyOptions, CopyResult, LogStoreOptions } from './log-store';
export { MASK, MIN_SECRET_BYTES, matchIntervals, redactSecrets, redactText, secretNeedles } from './redact';
export { followLines } from './follow';
export type { FollowOptions } from './follow';
