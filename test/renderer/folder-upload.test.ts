/**
 * Browser mode's folder picking: the bridge uploads a picked folder's files into one upload
 * folder (the first reply names it), under their relative paths, leaving hidden files out,
 * and hands back the folder to open.
 */
import { describe, expect, test } from 'vitest';
import {
  createBrowserBridge,
  type BrowserBridgeEnvironment,
} from '../../src-renderer/lib/browser-bridge';

/** A socket that never opens (the uploads go over HTTP). */
const idleSocket = (): WebSocket =>
  Object.assign(new EventTarget(), { close() {}, send() {} }) as unknown as WebSocket;

/** A File as an `<input webkitdirectory>` gives it: with its path inside the picked folder. */
function picked(relative: string, text: string): File {
  const file = new File([text], relative.split('/').pop()!);
  Object.defineProperty(file, 'webkitRelativePath', { value: relative });
  return file;
}

describe('folderRef', () => {
  test('uploads every file into one folder and returns its root', async () => {
    const requests: { url: string; name: string | null }[] = [];
    const environment: BrowserBridgeEnvironment = {
      location: { protocol: 'http:', host: '127.0.0.1:4321' },
      createSocket: idleSocket,
      fetch: async (input, init) => {
        const name = decodeURIComponent(new Headers(init?.headers).get('x-file-name') ?? '');
        requests.push({ url: String(input), name });
        return Response.json({
          path: `/srv/uploads/abc/${name}`,
          folder: 'abc',
          root: '/srv/uploads/abc/Letters',
        });
      },
    };
    const bridge = createBrowserBridge(environment);
    const ref = await bridge.shell.folderRef([
      picked('Letters/one.txt', 'one'),
      picked('Letters/.DS_Store', 'junk'),
      picked('Letters/older/two.txt', 'two'),
      picked('Letters/.git/config', 'junk'),
    ]);
    expect(ref).toEqual({ path: '/srv/uploads/abc/Letters' });
    expect(requests).toEqual([
      { url: '/upload', name: 'Letters/one.txt' },
      { url: '/upload?folder=abc', name: 'Letters/older/two.txt' },
    ]);
    bridge.close();
  });

  test('a folder with nothing but hidden files is a readable error', async () => {
    const bridge = createBrowserBridge({
      location: { protocol: 'http:', host: 'h' },
      createSocket: idleSocket,
      fetch: async () => new Response('unused', { status: 500 }),
    });
    await expect(bridge.shell.folderRef([picked('F/.hidden', 'x')])).rejects.toThrow(
      'the folder has no files',
    );
    bridge.close();
  });
});
