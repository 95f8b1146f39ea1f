/**
 * Quitting during training asks first, and offers to stop with a checkpoint so nothing
 * is lost; the engine is always shut down (it checkpoints a running session on SIGTERM)
 * before the app exits.
 */
import { app, dialog, type BrowserWindow } from 'electron';

export interface QuitGuardOptions {
  isTraining: () => boolean;
  /** Stops training; resolves once its checkpoint is written. */
  stopTraining: () => Promise<unknown>;
  window: () => BrowserWindow | null;
  /** Stops the engine process. */
  shutdown: () => Promise<void>;
}

/** Installs the before-quit guard; `approved()` tells whether the user has agreed to quit. */
export function guardQuit(options: QuitGuardOptions): { approved: () => boolean } {
  let ready = false;
  let busy = false;
  app.on('before-quit', (event) => {
    if (ready) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    void confirmAndQuit(options)
      .then((quit) => {
        if (!quit) return;
        ready = true;
        app.quit();
      })
      .finally(() => {
        busy = false;
      });
  });
  return { approved: () => ready };
}

async function confirmAndQuit(options: QuitGuardOptions): Promise<boolean> {
  if (options.isTraining()) {
    const window = options.window();
    const box = {
      type: 'question' as const,
      buttons: ['Save Checkpoint and Quit', 'Keep Training'],
      defaultId: 0,
      cancelId: 1,
      message: 'Training is still running.',
      detail:
        'Quit now? Training stops after the current step and saves a checkpoint you can resume from later.',
    };
    const { response } = window
      ? await dialog.showMessageBox(window, box)
      : await dialog.showMessageBox(box);
    if (response !== 0) return false;
    await options.stopTraining().catch(() => undefined);
  }
  await options.shutdown().catch(() => undefined);
  return true;
}
