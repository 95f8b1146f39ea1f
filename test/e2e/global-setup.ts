/** Placeholder until the browser-mode end-to-end setup lands (builds the app, starts the server). */
export default function setup(): void {}
