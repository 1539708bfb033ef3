import { Context } from '@temporalio/activity';
import { ProviderError, type InstanceRef, type NodeSpec, type Offer, type ProviderName, type ProviderSettings, type ReapReport } from '../domain';
import type { TaskLogStore } from '../logs/task-log-store';
import type { Provider } from '../providers/provider';
import { awaitOffer, type AwaitOfferInput } from './await-offer';
import { awaitFreeHosts, type AwaitFreeHostsInput, type LeasedHosts } from './await-free-hosts';
import { followCommand, outputReader, quickEnd, STOP_GRACE_MS, type CommandEnd, type FollowInput } from './follow-command';
import { chooseOffer, type OfferChoice, type SelectOfferInput } from '../providers/offer-choice';
import { createProviderOperation } from './provider-operation';
import { reapOrphans, type ReapOptions } from './reap-orphans';
import { loadSettings } from '../config/load-config';
import { mapErrors } from './to-application-failure';
import { hostBinding } from './host-binding';
import { handBackOnShutdown } from './hand-back';
import { launchLocalNode, type LaunchLocalInput, type LaunchLocalResult } from './launch-local-node';
import { selectLaunchLocal, type SelectLaunchLocalInput, type SelectLaunchLocalResult } from './select-launch-local';
import { launchLocalGang, type LaunchLocalGangInput, type LaunchLocalGangResult } from './launch-local-gang';

export interface ActivityDeps {
  /** Providers by name; settings that travel with a task (e.g. a local price) pick a variant. */
  providers: { get(name: ProviderName, settings?: ProviderSettings): Provider };
  logs: TaskLogStore;
  /** The worker's FLOW_HOME (the local provider's volumes and instances live there). */
  home: string;
  /** Whether a task's workflow is open (the leak reaper keeps what it holds); without it the reaper refuses to run. */
  isTaskOpen?: (taskId: string) => Promise<boolean>;
  /** This worker host's own task queue (see src/worker/host-queue.ts); host-bound instances record it. */
  hostQueue?: string;
  /** FLOW_WORKER_QUICK_END_MS: replaces the quick-end window a task's launch step asks for (0: none). */
  quickEndMs?: number;
  /** Which fleet hosts are leased now (the worker's client reads the lease workflows). */
  leasedHosts?: LeasedHosts;
}

/** Where the leak reaper looks: local, the ssh fleet (an empty one lists nothing), and Mithril once a key is set. */
function reapedProviders(home: string): ProviderName[] {
  const { mithril } = loadSettings({ env: { ...process.env, FLOW_HOME: home } });
  return ['local', 'ssh', ...(mithril.apiKey !== undefined ? (['mithril'] as const) : [])];
}

/** Which provider (and settings) an offer request is for. */
export interface OfferTarget {
  provider: ProviderName;
  providerSettings?: ProviderSettings;
}

const READY_POLL_MS = 1000;

/** The activities, bound to their dependencies. Each one is thin and idempotent. */
export function createActivities({ providers, logs, home, isTaskOpen, hostQueue, leasedHosts, quickEndMs }: ActivityDeps) {
  const host = hostBinding(hostQueue);
  /** The leak reaper (flow gc, the reaper schedule); each orphan is logged to the worker log. */
  const reap = async (options: ReapOptions): Promise<ReapReport> => {
    if (isTaskOpen === undefined) throw new ProviderError('The leak reaper needs the worker to reach Temporal (to see which tasks are open)', { retryable: false });
    return reapOrphans(
      { providers, providerNames: () => reapedProviders(home), isTaskOpen, log: (message, fields) => Context.current().log.info(message, fields) },
      options,
    );
  };
  const providerOperation = createProviderOperation({ providers, home, reap });
  /** A run's logs live in <logs>/<taskId> once it has claimed the folder (see claimLogRun). */
  const claimLogs = async (input: { taskId: string; runKey?: string }) => {
    if (input.runKey !== undefined) await logs.claimRun(input.taskId, input.runKey);
  };
  return {
    /** A provider call the client asked for (providerOperationWorkflow): offers, volumes, exec, shell and port targets, checks. */
    providerOperation: mapErrors(async (raw: unknown) => {
      // An operation on another host's local instance would find nothing here (or the wrong thing).
      const instance = (raw as { instance?: InstanceRef } | null)?.instance;
      if (instance !== undefined) host.check(instance);
      return providerOperation(raw);
    }),

    /** The leak reaper's run (reaperWorkflow): tears down orphans older than the grace period. */
    reapOrphans: mapErrors(reap),

    /** One look at the offers: the offer to take, or why the task must wait. */
    selectOffer: mapErrors(async (input: SelectOfferInput & OfferTarget): Promise<OfferChoice> =>
      chooseOffer(providers.get(input.provider, input.providerSettings), input)),

    /** Waits (heartbeating) for an offer or a new waiting reason. */
    awaitOffer: handBackOnShutdown(mapErrors(async (input: AwaitOfferInput & OfferTarget): Promise<OfferChoice> =>
      awaitOffer(providers.get(input.provider, input.providerSettings), input))),

    /** Waits (heartbeating) until enough fleet hosts hold no lease; returns those that look free. */
    awaitFreeHosts: handBackOnShutdown(mapErrors(async (input: AwaitFreeHostsInput): Promise<string[]> => {
      if (leasedHosts === undefined) throw new ProviderError('Waiting for fleet hosts needs the worker to reach Temporal (to read the host leases)', { retryable: false });
      return awaitFreeHosts(leasedHosts, input);
    })),

    provisionInstance: mapErrors(async (input: { spec: NodeSpec; offer: Offer; provider: ProviderName }): Promise<InstanceRef> =>
      host.record(input.provider, await providers.get(input.provider).provision(input.spec, input.offer))),

    /** A single local rank's provision, readiness and start in one step (see launch-local-node). */
    launchLocalNode: mapErrors(async (input: LaunchLocalInput): Promise<LaunchLocalResult> =>
      launchLocalNode(providers.get('local'), (instance) => host.record('local', instance), input)),

    /** A local gang's provision, readiness and start of every rank in one step (see launch-local-gang). */
    launchLocalGang: mapErrors(async (input: LaunchLocalGangInput): Promise<LaunchLocalGangResult> =>
      launchLocalGang(providers.get('local'), (instance) => host.record('local', instance), input)),

    /** A new single local task's offer selection and launch in one step (see select-launch-local). */
    selectLaunchLocal: mapErrors(async (input: SelectLaunchLocalInput<SelectOfferInput & OfferTarget>): Promise<SelectLaunchLocalResult> =>
      selectLaunchLocal(
        (request) => chooseOffer(providers.get(request.provider, request.providerSettings), request),
        (launch) => launchLocalNode(providers.get('local'), (instance) => host.record('local', instance), launch),
        withQuickEnd(input, quickEndMs),
        async (instance, withinMs) => {
          const follow = { instance, taskId: input.spec.taskId, rank: input.spec.rank, secrets: Object.values(input.spec.secrets), logBase: 0, runKey: input.spec.runKey };
          await claimLogs(follow);
          return quickEnd(providers.get('local'), logs, follow, withinMs);
        },
      )),

    /** Resolves once the instance accepts commands; with maxWaitMs, fails (retryably) after that long. */
    awaitInstanceReady: handBackOnShutdown(mapErrors(async (input: { instance: InstanceRef; maxWaitMs?: number }): Promise<void> => {
      host.check(input.instance);
      const provider = providers.get(input.instance.provider);
      const deadline = input.maxWaitMs === undefined ? Infinity : Date.now() + input.maxWaitMs;
      while (!(await provider.isReady(input.instance))) {
        if (Date.now() >= deadline) throw new ProviderError(`Instance ${input.instance.instanceId} is not ready yet`, { retryable: true });
        Context.current().heartbeat();
        await Context.current().sleep(Math.min(READY_POLL_MS, Math.max(1, deadline - Date.now())));
      }
    })),

    startCommand: mapErrors(async (input: { instance: InstanceRef; spec: NodeSpec }): Promise<void> => {
      host.check(input.instance);
      return providers.get(input.instance.provider).startCommand(input.instance, input.spec);
    }),

    followCommand: handBackOnShutdown(mapErrors(async (input: FollowInput): Promise<CommandEnd> => {
      host.check(input.instance);
      await claimLogs(input);
      return followCommand(providers.get(input.instance.provider), logs, input);
    })),

    /**
     * Before a restart: notes it in the rank's log (once, even if retried) and returns where
     * the new attempt's output begins in copyFrom's offsets.
     */
    beginAttemptLog: mapErrors(async (input: { taskId: string; rank: number; note: string; runKey?: string }): Promise<number> => {
      await claimLogs(input);
      const line = `[flow] ${input.note}`;
      const [last] = await logs.tail(input.taskId, input.rank, 1);
      if (last !== line) {
        // The last attempt may have ended mid-line: keep the note on a line of its own.
        const size = await logs.size(input.taskId, input.rank);
        const { data } = size > 0 ? await logs.read(input.taskId, input.rank, size - 1, 1) : { data: Buffer.from('\n') };
        await logs.append(input.taskId, input.rank, `${data[0] === 0x0a ? '' : '\n'}${line}\n`);
      }
      return logs.consumed(input.taskId, input.rank);
    }),

    /**
     * Stops the command, keeps every byte it wrote, releases the instance. Says how the command
     * ended: on its own (before this stop reached it) or stopped; exitCode null if it never ran.
     */
    teardownInstance: mapErrors(async (input: FollowInput): Promise<CommandEnd> => {
      host.check(input.instance);
      await claimLogs(input);
      const provider = providers.get(input.instance.provider);
      if (input.commandStarted === false) {
        // Nothing was launched: an unreachable host must not hold up a stop that never ran anything there.
        await provider.terminate(input.instance, { commandStarted: false });
        return { exitCode: null, stopped: true };
      }
      await provider.stopCommand(input.instance, STOP_GRACE_MS);
      const read = outputReader(provider, input, 1 << 20);
      let copied;
      do copied = await logs.copyFrom(input.taskId, input.rank, read, { secrets: input.secrets, final: true });
      while (copied.appended > 0);
      const state = await provider.commandState(input.instance);
      await provider.terminate(input.instance);
      return state.state === 'exited' ? { exitCode: state.exitCode, stopped: state.stopped === true } : { exitCode: null, stopped: true };
    }),
  };
}

export type FlowActivities = ReturnType<typeof createActivities>;

/** The launch step's input with the worker's quick-end window, when it sets one (0: no wait). */
function withQuickEnd<Request>(input: SelectLaunchLocalInput<Request>, quickEndMs: number | undefined): SelectLaunchLocalInput<Request> {
  if (quickEndMs === undefined) return input;
  const { quickEndMs: _asked, ...rest } = input;
  return quickEndMs === 0 ? rest : { ...rest, quickEndMs };
}
