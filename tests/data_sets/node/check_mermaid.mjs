// Checks Mermaid sources with the real mermaid npm parser under node.
// Usage: node check_mermaid.mjs FILE.jsonl...  (the "response" of every line)
// Prints "FILE:LINE: <parser message>" for each rejected diagram; exits 1 if any.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// mermaid's parse path touches DOMPurify and document; a jsdom window is enough.
const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
globalThis.DOMParser = window.DOMParser;
globalThis.Element = window.Element;

const mermaid = (await import('mermaid')).default;
mermaid.initialize({ startOnLoad: false });

let bad = 0, total = 0;
for (const file of process.argv.slice(2)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const { response } = JSON.parse(lines[i]);
    total++;
    try {
      await mermaid.parse(response);
    } catch (e) {
      bad++;
      console.log(`${file}:${i + 1}: ${String(e.message || e).split('\n').join(' | ')}`);
    }
  }
}
console.log(`${total - bad}/${total} accepted by mermaid`);
process.exit(bad === 0 && total > 0 ? 0 : 1);
