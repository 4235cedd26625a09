// Wall-clock time per backend stage (select, plan, fit, emit, compile, run, report), summed over the
// calls of each stage: `build --json` reports them (`timings`), `build --verbose` prints them as it goes.
export type StageName = 'select' | 'plan' | 'fit' | 'emit' | 'compile' | 'run' | 'report';

export class StageTimer {
  readonly ms: Partial<Record<StageName, number>> = {};
  constructor(private readonly onStage?: (stage: StageName, ms: number) => void) {}

  time<T>(stage: StageName, fn: () => T): T {
    const t0 = performance.now();
    try { return fn(); } finally { this.add(stage, performance.now() - t0); }
  }

  async timeAsync<T>(stage: StageName, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try { return await fn(); } finally { this.add(stage, performance.now() - t0); }
  }

  add(stage: StageName, ms: number): void {
    this.ms[stage] = Math.round((this.ms[stage] ?? 0) + ms);
    this.onStage?.(stage, ms);
  }
}
