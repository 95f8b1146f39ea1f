import { describe, expect, it } from 'vitest';
import { CHUNK_LENGTH, IdSink, type IdArray } from '../../src-main/corpus/id-sink';

/** Appends `count` ids (i mod 200) the way the corpus builder's hot loop does. */
function append(sink: IdSink, count: number, from = sink.length): void {
  for (let i = 0; i < count; i++) {
    sink.current[sink.position++] = (from + i) % 200;
    if (sink.position === sink.current.length) sink.grow();
  }
}

/** Whether `parts`, end to end, are the ids from..from+length as `append` wrote them. */
function holds(parts: Iterable<IdArray>, from: number, length: number): boolean {
  let index = from;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++, index++) if (part[i] !== index % 200) return false;
  }
  return index === from + length;
}

describe('IdSink', () => {
  it('hands over a reserved chunk it filled as it is, without a copy', () => {
    for (const count of [10_000, 9999, 7501]) {
      const sink = new IdSink();
      sink.reserve(10_000);
      const reserved = sink.current;
      append(sink, count);
      const whole = sink.whole()!;
      expect(whole.buffer).toBe(reserved.buffer);
      expect(holds([whole], 0, count)).toBe(true);
    }
  });

  it('copies instead when a reservation was much too large, or spilled over', () => {
    const loose = new IdSink();
    loose.reserve(10_000);
    append(loose, 7000);
    expect(loose.whole()).toBeNull();
    expect(holds(loose.drain(), 0, 7000)).toBe(true);

    const spilled = new IdSink();
    spilled.reserve(5000);
    append(spilled, CHUNK_LENGTH + 25);
    expect(spilled.length).toBe(CHUNK_LENGTH + 25);
    expect(spilled.whole()).toBeNull();
    expect(spilled.at(9)).toBe(9);
    expect(spilled.at(CHUNK_LENGTH + 24)).toBe((CHUNK_LENGTH + 24) % 200);
  });

  it('reads, rolls back and resumes across a reserved first chunk of any length', () => {
    const sink = new IdSink();
    sink.reserve(4097);
    append(sink, 4097 + CHUNK_LENGTH + 300);
    // Roll back into the second chunk, then into the first, appending again each time.
    for (const mark of [4097 + CHUNK_LENGTH - 5, 4090, 4097]) {
      expect(holds(sink.segmentsFrom(mark), mark, sink.length - mark)).toBe(true);
      sink.truncate(mark);
      expect(sink.length).toBe(mark);
      append(sink, 100, mark);
      expect(sink.at(mark + 99)).toBe((mark + 99) % 200);
    }
    expect(holds(sink.drain(), 0, 4197)).toBe(true);
  });

  it('ignores a reservation once ids are written, and widens a reserved chunk', () => {
    const sink = new IdSink();
    append(sink, 5);
    sink.reserve(100_000);
    expect(sink.current.length).toBeLessThan(100_000);
    const wide = new IdSink();
    wide.reserve(10);
    append(wide, 10);
    wide.ensureFits(300);
    expect(wide.width).toBe(2);
    expect(holds(wide.drain(), 0, 10)).toBe(true);
  });
});
