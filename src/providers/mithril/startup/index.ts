export { buildStartupScript, renderStartupScript, STARTUP_SCRIPT_MAX_BYTES } from './build';
export {
  CODE_AWAITED_MARKER,
  CODE_UPLOAD_PATH,
  DEFAULT_WORKING_DIR,
  envFilePath,
  NODE_RANK_FILE,
  MITHRIL_INSTANCE_ID,
  MITHRIL_REMOTE_DIR,
  mithrilLayout,
  STARTUP_COMPLETE_MARKER,
  STARTUP_LOG,
  WORKLOAD_EXIT_FILE,
} from './layout';
export type { StartupScript, StartupScriptInput, StartupScriptOptions, StartupVolume } from './types';
