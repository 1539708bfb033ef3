import { ValidationError } from './errors';

/** A task port a caller asked to reach (portTarget): a whole number from 1 to 65535. */
export function checkPortNumber(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ValidationError(`port: ${port} is not a port number (1 to 65535)`, { field: 'port' });
  }
}
