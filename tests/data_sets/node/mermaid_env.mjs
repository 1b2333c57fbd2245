// The real mermaid parser under node: a jsdom window for the DOM its parse
// path touches (DOMPurify, document). Shared by the checks in this folder.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
globalThis.DOMParser = window.DOMParser;
globalThis.Element = window.Element;
// sequenceDiagram's `box COLOR label` tells a colour from a label with `new Option()`.
globalThis.Option = window.Option;

const mermaid = (await import('mermaid')).default;
mermaid.initialize({ startOnLoad: false });

// null when mermaid accepts `text`, else its message on one line.
export async function mermaidError(text) {
  try {
    await mermaid.parse(text);
    return null;
  } catch (e) {
    return String(e.message || e).split('\n').join(' | ');
  }
}
