import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventThrottle } from '../../src-main/host/event-throttle';
import type { EngineEvent } from '../../src-main/protocol/messages';

function progress(step: number): EngineEvent {
  return {
    type: 'training:progress',
    runId: 'r',
    step,
    totalSteps: 10_000,
    learningRate: 1,
    stepsPerSec: 1000,
    etaSeconds: 1,
    elapsedSeconds: step / 1000,
    budgetSeconds: null,
    points: step % 10 === 0 ? [{ step, loss: 1 / step, learningRate: 1, stepsPerSec: 1000 }] : [],
  };
}

describe('EventThrottle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes at most ~10 progress messages a second under a flood, keeping the latest', () => {
    const seen: EngineEvent[] = [];
    const throttle = new EventThrottle((event) => seen.push(event), 100);
    // 5000 progress events over 5 simulated seconds: one per millisecond.
    for (let step = 1; step <= 5000; step += 1) {
      throttle.push(progress(step));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(200);
    const steps = seen.map((event) => (event.type === 'training:progress' ? event.step : -1));
    expect(steps.length).toBeLessThanOrEqual(51);
    expect(steps.length).toBeGreaterThanOrEqual(45);
    expect(steps[steps.length - 1]).toBe(5000);
    // Strictly increasing: nothing older overtakes something newer.
    for (let i = 1; i < steps.length; i += 1) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
    // No one-second window holds more than 11 messages.
    const times: number[] = [];
    const timed = new EventThrottle(() => times.push(Date.now()), 100);
    for (let step = 1; step <= 3000; step += 1) {
      timed.push(progress(step));
      vi.advanceTimersByTime(1);
    }
    for (const start of times)
      expect(times.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(11);
  });

  it('never drops validation, sample, checkpoint, done or error events, and keeps their order', () => {
    const seen: EngineEvent[] = [];
    const throttle = new EventThrottle((event) => seen.push(event), 100);
    const expected: string[] = [];
    for (let step = 1; step <= 1000; step += 1) {
      throttle.push(progress(step));
      if (step % 100 === 0) {
        const validation: EngineEvent = {
          type: 'training:validation',
          runId: 'r',
          step,
          perplexity: 2,
          bitsPerChar: 1,
          minibatchPerplexity: 2,
          best: { step, bitsPerChar: 1 },
        };
        throttle.push(validation);
        throttle.push({ type: 'training:sample', runId: 'r', step, text: `s${step}` });
        throttle.push({
          type: 'training:checkpoint',
          runId: 'r',
          step,
          path: `/c/${step}`,
          best: false,
        });
        expected.push(`validation:${step}`, `sample:${step}`, `checkpoint:${step}`);
      }
    }
    throttle.push({
      type: 'training:done',
      runId: 'r',
      reason: 'finished',
      step: 1000,
      trainSeconds: 1,
      stepsPerSec: 1000,
      bestValidation: null,
      finalValidation: null,
      choice: null,
    });
    throttle.push({
      type: 'training:error',
      runId: 'r',
      reason: 'failed',
      message: 'x',
      step: 1000,
    });
    expected.push('done:1000', 'error');
    const kept = seen
      .filter((event) => event.type !== 'training:progress')
      .map((event) => {
        if (event.type === 'training:done') return `done:${event.step}`;
        if (event.type === 'training:error') return 'error';
        return `${event.type.split(':')[1]}:${'step' in event ? event.step : ''}`;
      });
    expect(kept).toEqual(expected);
    // The progress of step 1000 is flushed before the done event that follows it.
    const doneIndex = seen.findIndex((event) => event.type === 'training:done');
    const lastProgress = seen
      .slice(0, doneIndex)
      .filter((event) => event.type === 'training:progress')
      .at(-1);
    expect(lastProgress && lastProgress.type === 'training:progress' && lastProgress.step).toBe(
      1000,
    );
  });

  it('coalesces progress but keeps every history point, in order, so the chart is the history', () => {
    const seen: EngineEvent[] = [];
    const throttle = new EventThrottle((event) => seen.push(event), 100);
    // A summary every 10 steps at 1000 steps a second: 100 points a second in 5000 reports.
    for (let step = 1; step <= 5000; step += 1) {
      throttle.push(progress(step));
      vi.advanceTimersByTime(1);
    }
    throttle.flush();
    const reports = seen.filter((event) => event.type === 'training:progress');
    expect(reports.length).toBeLessThanOrEqual(51);
    const points = reports.flatMap((event) =>
      event.type === 'training:progress' ? event.points.map((point) => point.step) : [],
    );
    expect(points).toEqual(Array.from({ length: 500 }, (_, i) => (i + 1) * 10));
    expect(reports.at(-1)).toMatchObject({ step: 5000 });
  });

  it('concatenates generation chunks instead of dropping them', () => {
    const seen: EngineEvent[] = [];
    const throttle = new EventThrottle((event) => seen.push(event), 100);
    const text = 'the quick brown fox jumps over the lazy dog';
    for (const char of text) {
      throttle.push({ type: 'generation:chunk', generationId: 'g', text: char });
      vi.advanceTimersByTime(7);
    }
    throttle.flush();
    const joined = seen
      .map((event) => (event.type === 'generation:chunk' ? event.text : ''))
      .join('');
    expect(joined).toBe(text);
    expect(seen.length).toBeLessThanOrEqual(5);
  });
});
