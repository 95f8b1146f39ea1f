/**
 * Hands the user a file the window made (a metrics export): a download in the browser, the
 * save dialog Electron shows for a download in the desktop app. Nothing touches the engine.
 */

/** Offers `text` as a download named `name`. */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference to the blob by now; the URL can go.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
