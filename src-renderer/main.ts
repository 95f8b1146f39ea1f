/**
 * The renderer's entry: picks the bridge (the desktop preload's `window.studio`, or a
 * WebSocket client in browser mode), builds the root state and mounts the app.
 */
import { mount } from 'svelte';
import type { RendererBridge } from '../src-main/protocol/messages';
import App from './App.svelte';
import './app.css';
import { browserEnvironment, createBrowserBridge } from './lib/browser-bridge';
import { Studio } from './lib/studio.svelte';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser. */
    studio?: RendererBridge;
  }
}

function start(): void {
  const target = document.getElementById('app');
  if (!target) return;
  let studio: Studio;
  if (window.studio) {
    studio = new Studio(window.studio);
  } else {
    const bridge = createBrowserBridge(browserEnvironment());
    studio = new Studio(bridge);
    bridge.onConnection((connected) => studio.setConnected(connected));
  }
  mount(App, { target, props: { studio } });
  void studio.init();
}

start();
