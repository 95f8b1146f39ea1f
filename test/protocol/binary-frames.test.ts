import { describe, expect, test } from 'vitest';
import {
  decodeWireFrame,
  encodeWireFrame,
  FrameError,
} from '../../src-main/protocol/binary-frames';
import type { WireMessage } from '../../src-main/protocol/messages';

function arrayBufferOf(frame: Uint8Array): ArrayBuffer {
  return frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer;
}

describe('wire frames with typed arrays', () => {
  test('a message without typed arrays stays a JSON text frame', () => {
    const message: WireMessage = { kind: 'reply', id: 3, ok: true, payload: { a: [1, 2] } };
    expect(encodeWireFrame(message)).toBe(JSON.stringify(message));
  });

  test('typed arrays of every kind, nested in objects and lists, come back equal and aligned', () => {
    const payload = {
      probability: Float32Array.from([0.5, Number.NaN, -0]),
      rank: Int32Array.from([1, -2, 3]),
      ids: Uint16Array.from([7]),
      empty: new Float32Array(0),
      layers: [{ c: Float32Array.from([1.5, 2.5]) }, { h: Float64Array.from([Math.PI]) }],
      bytes: Uint8Array.from([1, 2, 3]),
      text: 'plain "values" stay',
    };
    const frame = encodeWireFrame({ kind: 'reply', id: 9, ok: true, payload });
    expect(frame).toBeInstanceOf(Uint8Array);
    const decoded = decodeWireFrame(arrayBufferOf(frame as Uint8Array));
    expect(decoded).toMatchObject({ kind: 'reply', id: 9, ok: true });
    const back = (decoded as { payload: typeof payload }).payload;
    expect(back.probability).toBeInstanceOf(Float32Array);
    expect(Array.from(back.probability)).toEqual([0.5, NaN, -0]);
    expect(back.rank).toEqual(payload.rank);
    expect(back.ids).toEqual(payload.ids);
    expect(back.empty).toEqual(payload.empty);
    expect(back.layers[0].c).toEqual(payload.layers[0].c);
    expect(back.layers[1].h).toEqual(payload.layers[1].h);
    expect(back.bytes).toEqual(payload.bytes);
    expect(back.text).toBe(payload.text);
  });

  test('a subarray view sends only its own elements', () => {
    const big = Float32Array.from([1, 2, 3, 4, 5]);
    const frame = encodeWireFrame({
      kind: 'event',
      event: { type: 'x', v: big.subarray(1, 3) } as never,
    });
    const back = decodeWireFrame(arrayBufferOf(frame as Uint8Array)) as unknown as {
      event: { v: Float32Array };
    };
    expect(Array.from(back.event.v)).toEqual([2, 3]);
  });

  test('frames that lie about their sizes are refused, not read past their end', () => {
    const good = encodeWireFrame({
      kind: 'reply',
      id: 1,
      ok: true,
      payload: { v: Float32Array.from([1, 2]) },
    }) as Uint8Array;
    expect(() => decodeWireFrame(new ArrayBuffer(4))).toThrow(FrameError);
    const longHeader = good.slice();
    new DataView(longHeader.buffer).setUint32(4, 1e9, true);
    expect(() => decodeWireFrame(arrayBufferOf(longHeader))).toThrow(
      'frame header overruns the frame',
    );
    // A descriptor that points past the end.
    const text = new TextDecoder().decode(good);
    const headerLength = new DataView(good.buffer).getUint32(4, true);
    const header = JSON.parse(text.slice(8, 8 + headerLength)) as { arrays: { length: number }[] };
    header.arrays[0].length = 1e6;
    const forged = new TextEncoder().encode(JSON.stringify(header));
    const frame = new Uint8Array(8 + forged.length + 16);
    frame.set(good.subarray(0, 4));
    new DataView(frame.buffer).setUint32(4, forged.length, true);
    frame.set(forged, 8);
    expect(() => decodeWireFrame(arrayBufferOf(frame))).toThrow(FrameError);
  });
});
