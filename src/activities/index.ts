import { Context } from '@temporalio/activity';
import type { InstanceRef, NodeSpec, Offer, ProviderName } from '../domain';
import type { LogStore } from '../logs/log-store';
import type { Provider } from '../providers/provider';
import { followCommand, outputReader, type FollowInput } from './follow-command';
import { selectOffer, type SelectOfferInput } from './select-offer';
import { mapErrors } from './to-application-failure';

export interface ActivityDeps {
  providers: { get(name: ProviderName): Provider };
  logs: LogStore;
}

const READY_POLL_MS = 1000;
const STOP_GRACE_MS = 10_000;

/** The activities, bound to their dependencies. Each one is thin and idempotent. */
export function createActivities({ providers, logs }: ActivityDeps) {
  return {
    selectOffer: mapErrors(async (input: SelectOfferInput & { provider: ProviderName }): Promise<Offer> =>
      selectOffer(providers.get(input.provider), input)),

    provisionInstance: mapErrors(async (input: { spec: NodeSpec; offer: Offer; provider: ProviderName }): Promise<InstanceRef> =>
      providers.get(input.provider).provision(input.spec, input.offer)),

    awaitInstanceReady: mapErrors(async (input: { instance: InstanceRef }): Promise<void> => {
      const provider = providers.get(input.instance.provider);
      while (!(await provider.isReady(input.instance))) {
        Context.current().heartbeat();
        await Context.current().sleep(READY_POLL_MS);
      }
    }),

    startCommand: mapErrors(async (input: { instance: InstanceRef; spec: NodeSpec }): Promise<void> =>
      providers.get(input.instance.provider).startCommand(input.instance, input.spec)),

    followCommand: mapErrors(async (input: FollowInput): Promise<{ exitCode: number | null }> =>
      followCommand(providers.get(input.instance.provider), logs, input)),

    /**
     * Before a restart: notes it in the rank's log (once, even if retried) and returns the log's
     * size, where the new attempt's output begins.
     */
    beginAttemptLog: mapErrors(async (input: { taskId: string; rank: number; note: string }): Promise<number> => {
      const line = `[flow] ${input.note}`;
      const [last] = await logs.tail(input.taskId, input.rank, 1);
      if (last !== line) {
        // The last attempt may have ended mid-line: keep the note on a line of its own.
        const size = await logs.size(input.taskId, input.rank);
        const { data } = size > 0 ? await logs.read(input.taskId, input.rank, size - 1, 1) : { data: Buffer.from('\n') };
        await logs.append(input.taskId, input.rank, `${data[0] === 0x0a ? '' : '\n'}${line}\n`);
      }
      return logs.size(input.taskId, input.rank);
    }),

    /** Stops the command, keeps every byte it wrote, releases the instance. */
    teardownInstance: mapErrors(async (input: FollowInput): Promise<{ exitCode: number | null }> => {
      const provider = providers.get(input.instance.provider);
      await provider.stopCommand(input.instance, STOP_GRACE_MS);
      const read = outputReader(provider, input, 1 << 20);
      let copied;
      do copied = await logs.copyFrom(input.taskId, input.rank, read, { secrets: input.secrets, final: true });
      while (copied.appended > 0);
      const state = await provider.commandState(input.instance);
      await provider.terminate(input.instance);
      return { exitCode: state.state === 'exited' ? state.exitCode : null };
    }),
  };
}

export type FlowActivities = ReturnType<typeof createActivities>;
