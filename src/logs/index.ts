export { LogStore, MAX_PARTIAL_LINE_BYTES, TAIL_CHUNK_BYTES, DEFAULT_READ_BYTES } from './log-store';
export type { CopyOptions, CopyResult, LogStoreOptions } from './log-store';
export type { TaskLogStore, AppendTime } from './task-log-store';
export { createLogStore } from './create-log-store';
export { MASK, MIN_SECRET_BYTES, matchIntervals, redactSecrets, redactText, secretNeedles } from './redact';
export { followLines, followChanges } from './follow';
export type { FollowOptions, WatchChanges } from './follow';
