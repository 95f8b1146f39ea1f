/** Vite's `?raw` imports: a file's text, bundled at build time (the guide's Markdown). */
declare module '*.md?raw' {
  const text: string;
  export default text;
}
