/** The bare floor's one activity: does nothing, so what is timed is Temporal itself. */
export async function noop(): Promise<string> {
  return 'ok';
}
