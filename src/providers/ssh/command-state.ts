import { containerStartSuggestions } from '../../containers';
import type { CommandState } from '../provider';
import type { RemoteCommandState } from './remote-state';

/**
 * A remote supervisor's state as the workflow sees it (ssh hosts and Mithril instances alike):
 * launched but without a pid yet is running; a container that never ran (no image, a refused
 * start, no runtime) fails the task with the runtime's reason and what to do, naming `where`.
 */
export function workflowCommandState(state: RemoteCommandState, where: string): CommandState {
  if (state.state === 'starting') return { state: 'running' };
  if (state.state !== 'exited') return state;
  const { containerError, ...rest } = state;
  if (containerError === undefined) return rest;
  return { ...rest, failure: { message: `${containerError} (on ${where})`, suggestions: containerStartSuggestions(containerError, where) } };
}
