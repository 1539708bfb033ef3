export * from './errors';
export * from './instance-types';
export * from './task-config';
export * from './task-status';
export * from './node-spec';
export { closestNames } from './closest';
export * from './volume-info';
export * from './pipeline-config';
export * from './provider-availability';
