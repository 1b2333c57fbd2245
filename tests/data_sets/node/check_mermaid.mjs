// Checks Mermaid sources with the real mermaid npm parser under node.
// Usage: node check_mermaid.mjs FILE.jsonl...  (the "response" of every line)
// Prints "FILE:LINE: <parser message>" for each rejected diagram; exits 1 if any.
import { readFileSync } from 'node:fs';
import { mermaidError } from './mermaid_env.mjs';

let bad = 0, total = 0;
for (const file of process.argv.slice(2)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const { response } = JSON.parse(lines[i]);
    total++;
    const error = await mermaidError(response);
    if (error !== null) {
      bad++;
      console.log(`${file}:${i + 1}: ${error}`);
    }
  }
}
console.log(`${total - bad}/${total} accepted by mermaid`);
process.exit(bad === 0 && total > 0 ? 0 : 1);
