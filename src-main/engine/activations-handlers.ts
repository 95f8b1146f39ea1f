/**
 * The engine's Look inside commands (`activations:*`) as the service uses them: the
 * activation jobs of activations/jobs.ts, loaded on first use (so an engine that never
 * looks inside never loads them), with what they need of the engine's state passed in.
 */
import path from 'node:path';
import type { CommandName, ReplyOf, RequestOf } from '../protocol/messages';
import type { ActivationJobs, ActivationSources } from './activations/jobs';

type ActivationsCommand = Extract<CommandName, `activations:${string}`>;
type ActivationsHandlers = {
  [C in ActivationsCommand]: (request: RequestOf<C>) => Promise<ReplyOf<C>>;
};

export class EngineActivations {
  private jobs: ActivationJobs | null = null;

  /** `sources`: the current model and the open corpus; saved models load through the model files. */
  constructor(private readonly sources: Omit<ActivationSources, 'load'>) {}

  handlers(): ActivationsHandlers {
    return {
      'activations:start': async (request) => (await this.activationJobs()).start(request),
      'activations:next': async ({ jobId }) => (await this.activationJobs()).next(jobId),
      'activations:cancel': async ({ jobId }) => (await this.activationJobs()).cancel(jobId),
    };
  }

  dispose(): void {
    this.jobs?.dispose();
  }

  private async activationJobs(): Promise<ActivationJobs> {
    if (!this.jobs) {
      const [{ ActivationJobs }, { loadModel }] = await Promise.all([
        import('./activations/jobs'),
        import('../model'),
      ]);
      this.jobs = new ActivationJobs({
        current: () => this.sources.current(),
        corpus: () => this.sources.corpus(),
        load: (file) => loadModel(path.resolve(file)),
      });
    }
    return this.jobs;
  }
}
