/**
 * A shell snippet that holds a command until `path` exists. Tests create the file when they are
 * ready for the command to go on, instead of hoping a sleep lasts long enough.
 */
export function untilFileExists(path: string): string {
  return `while [ ! -e '${path}' ]; do sleep 0.05; done`;
}
