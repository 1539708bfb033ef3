import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SecondUser {
  name: string;
  /** Runs a program as that user; never throws on a non-zero exit. */
  run(args: string[]): { status: number | null; stdout: string; stderr: string };
  /** A copy of `binary` that user may execute (the original may sit under /root). */
  executable(binary: string): string;
  remove(): void;
}

/** A throwaway local account (needs root, as in CI): no home, no login shell; removed by remove(). */
export function createSecondUser(): SecondUser {
  const name = `flowtest-${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  const bin = mkdtempSync(join(tmpdir(), 'flow-second-user-'));
  chmodSync(bin, 0o755);
  return {
    name,
    run(args) {
      const result = spawnSync('runuser', ['-u', name, '--', ...args], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    executable(binary) {
      const copy = join(bin, binary.split('/').pop()!);
      copyFileSync(binary, copy);
      chmodSync(copy, 0o755);
      return copy;
    },
    remove() {
      rmSync(bin, { recursive: true, force: true });
      spawnSync('userdel', [name], { stdio: 'pipe' });
    },
  };
}
