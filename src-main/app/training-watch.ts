/**
 * What users expect of a long-running job, driven by the engine's events: taskbar/dock
 * progress, a notification when training finishes or fails (or the engine dies), and a
 * power-save blocker so the machine does not sleep mid-run.
 */
import { BrowserWindow, Notification, powerSaveBlocker } from 'electron';
import type { EngineEvent } from '../protocol/messages';

export class TrainingWatch {
  private blocker: number | null = null;
  private active = false;
  private lastFraction = 0;
  private readonly windows: () => BrowserWindow[];

  constructor(windows: () => BrowserWindow[] = () => BrowserWindow.getAllWindows()) {
    this.windows = windows;
  }

  /** True while a run is running or paused: quitting then asks first. */
  get training(): boolean {
    return this.active;
  }

  handle(event: EngineEvent): void {
    switch (event.type) {
      case 'training:state':
        if (event.state === 'running') {
          this.active = true;
          this.block(true);
        } else if (event.state === 'paused') {
          this.active = true;
          this.block(false);
          this.progress(null, 'paused');
        } else if (event.state !== 'stopping') {
          this.end();
        }
        break;
      case 'training:progress':
        this.active = true;
        this.progress(event.totalSteps > 0 ? event.step / event.totalSteps : 0);
        break;
      case 'training:done': {
        this.end();
        const best = event.bestValidation
          ? `, best ${event.bestValidation.bitsPerChar.toFixed(3)} bits/char`
          : '';
        notify('Training finished', `Step ${event.step}${best}.`);
        break;
      }
      case 'training:error':
        this.end();
        notify('Training failed', event.message);
        break;
      case 'engine:status':
        if (event.status === 'crashed') {
          const wasTraining = this.active;
          this.end();
          if (wasTraining)
            notify('The engine stopped', 'Training can resume from its last checkpoint.');
        }
        break;
      default:
        break;
    }
  }

  dispose(): void {
    this.end();
  }

  private end(): void {
    this.active = false;
    this.block(false);
    this.progress(-1);
  }

  private block(on: boolean): void {
    if (on && this.blocker === null)
      this.blocker = powerSaveBlocker.start('prevent-app-suspension');
    if (!on && this.blocker !== null) {
      powerSaveBlocker.stop(this.blocker);
      this.blocker = null;
    }
  }

  private progress(fraction: number | null, mode?: 'paused'): void {
    if (fraction !== null && fraction >= 0) this.lastFraction = Math.min(1, fraction);
    for (const window of this.windows()) {
      if (window.isDestroyed()) continue;
      if (fraction === null) window.setProgressBar(this.lastFraction, { mode: mode ?? 'normal' });
      else window.setProgressBar(fraction < 0 ? -1 : Math.min(1, fraction));
    }
  }
}

function notify(title: string, body: string): void {
  if (!Notification.isSupported()) return;
  new Notification({ title, body, silent: false }).show();
}
