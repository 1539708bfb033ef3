// A second process writing one rank's log in PostgreSQL, with its own pool:
// node pg-append-child.js <url> <taskId> <writer> <lines> <delayMs>
// Each line is "<writer> <index> <epoch ms when appended>".
import { PostgresLogStore } from '../../src/logs/postgres-log-store';

async function main(): Promise<void> {
  const [url, taskId, writer, lines, delayMs] = process.argv.slice(2);
  const store = new PostgresLogStore(url!);
  try {
    for (let index = 0; index < Number(lines); index += 1) {
      if (Number(delayMs) > 0) await new Promise((resolve) => setTimeout(resolve, Number(delayMs)));
      await store.append(taskId!, 0, `${writer} ${index} ${Date.now()}\n`);
    }
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
