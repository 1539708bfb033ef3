export * from './runtime';
export * from './run-args';
export * from './pull-policy';
export * from './script-lines';
