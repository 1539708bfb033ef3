/** One launch the worker asks the supervisor spawner for (one JSON line on its stdin). */
export interface SpawnRequest {
  id: number;
  /** The supervisor script, run as `/bin/sh <script>` in a new session. */
  script: string;
  env: Record<string, string>;
  cwd: string;
}

/** The spawner's answers about one request, one JSON line each: spawned or error, then exited. */
export type SpawnReply = { id: number; spawned: true } | { id: number; error: string } | { id: number; exited: true };
