import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { waitFor } from './wait-for';

export interface TestPostgres {
  /** postgres://flow:<password>@127.0.0.1:<port>/flow_logs */
  url: string;
  password: string;
  port: number;
  /** Fast shutdown, then removes the data directory. */
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 30_000;

/** The newest apt-installed PostgreSQL's bin directory; fails with how to install it. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) {
    throw new Error(`PostgreSQL is not installed (no ${root}/*/bin/initdb): the PostgreSQL log store tests need it. Install it with: apt-get install -y postgresql (bash .ci/run does)`);
  }
  return join(root, versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL server: initdb in a temp directory, listening on 127.0.0.1 at a free
 * port (its unix socket inside that directory), with password authentication for user `flow`
 * and a database `flow_logs`. PostgreSQL refuses to run as root: as root, it runs as the
 * `postgres` system user, owning the directory.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'flow-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  mkdirSync(socketDir);
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(dir, 'pw');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const path of [dir, socketDir, passwordFile]) chownSync(path, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (program: string, args: string[]) => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args] : [join(bin, program), ...args];
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: START_DEADLINE_MS });
    if (result.status !== 0) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : '';
      throw new Error(`${program} ${args[0] ?? ''} failed (${result.status ?? result.signal}): ${result.stderr.slice(-2000)}${result.stdout.slice(-1000)}\n${log}`);
    }
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    run('initdb', ['-D', data, '-U', 'flow', `--pwfile=${passwordFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    let port = 0;
    for (let attempt = 0; ; attempt += 1) {
      port = await freePort();
      const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=60`;
      try {
        // -w: pg_ctl returns once the server accepts connections (or fails after -t seconds).
        run('pg_ctl', ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', String(START_DEADLINE_MS / 1000), '-o', options]);
        break;
      } catch (error) {
        if (attempt >= 2) throw error; // another process took the port meanwhile: try another
      }
    }
    const adminUrl = `postgres://flow:${password}@127.0.0.1:${port}/postgres`;
    await waitFor(
      async () => {
        const client = new Client({ connectionString: adminUrl });
        try {
          await client.connect();
          await client.query('CREATE DATABASE flow_logs');
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: START_DEADLINE_MS, intervalMs: 100, message: `PostgreSQL on port ${port} accepting connections` },
    );
    return {
      url: `postgres://flow:${password}@127.0.0.1:${port}/flow_logs`,
      password,
      port,
      async stop() {
        try {
          run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']);
        } finally {
          cleanup();
        }
      },
    };
  } catch (error) {
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), 'stop', '-D', data, '-m', 'immediate'] : ['stop', '-D', data, '-m', 'immediate'], { stdio: 'ignore', timeout: 30_000 });
    cleanup();
    throw error;
  }
}
