import pc from 'picocolors';
import type { TaskStatus } from '../domain/task-status';

/** Colours only on a TTY, never with NO_COLOR or --json. */
export function useColor(stream: NodeJS.WriteStream, json = false): boolean {
  return !json && Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function colors(stream: NodeJS.WriteStream, json = false) {
  return pc.createColors(useColor(stream, json));
}

export function statusColor(status: TaskStatus, c: ReturnType<typeof colors>): (text: string) => string {
  switch (status) {
    case 'completed':
    case 'running':
      return c.green;
    case 'failed':
      return c.red;
    case 'cancelled':
      return c.gray;
    default:
      return c.yellow;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "3s", "5m", "2h", "4d" since a date. */
export function age(since: Date, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - since.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** A plain aligned table (no borders), which reads well piped into grep too. */
export function table(headers: string[], rows: string[][], colorize: (cell: string, column: number) => string = (cell) => cell): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[], paint: boolean) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
        return paint ? padded.replace(cell, colorize(cell, i)) : padded;
      })
      .join('  ');
  return [line(headers, false), ...rows.map((row) => line(row, true))].join('\n');
}
