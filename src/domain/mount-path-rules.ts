/**
 * Where a volume may not be mounted: over the root, the kernel's file systems, or a system folder
 * as a whole. A volume there would hide what the command (and, with the symlink fallback, the
 * machine) needs. Pure (no Node imports): task configs are also checked inside workflows.
 */

/** Trees where nothing may be mounted, at any depth. */
const KERNEL_TREES = ['/proc', '/sys', '/dev'];

/** System folders that may not be replaced as a whole (a folder below them is fine). */
const SYSTEM_FOLDERS = new Set([
  '/',
  '/bin',
  '/boot',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/media',
  '/mnt',
  '/opt',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/tmp',
  '/usr',
  '/var',
]);

/** "/data/../etc/" → "/etc": `.`, `..`, repeated and trailing slashes resolved, as the kernel would. */
export function normalizeAbsolutePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Why a volume may not be mounted at `mountPath` (an absolute path), or undefined when it may. */
export function reservedMountPathReason(mountPath: string): string | undefined {
  const path = normalizeAbsolutePath(mountPath);
  const tree = KERNEL_TREES.find((root) => path === root || path.startsWith(`${root}/`));
  if (tree !== undefined) return `${mountPath} is inside ${tree}, which the system provides`;
  if (SYSTEM_FOLDERS.has(path)) return path === '/' ? 'a volume cannot replace the root folder /' : `a volume cannot replace the system folder ${path}`;
  return undefined;
}
