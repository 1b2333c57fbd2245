// The subset check of the mermaid grammar: draws random diagrams FROM
// runtime/grammar/grammars/mermaid.gbnf (gbnf.mjs, seeded) and requires the
// real mermaid parser to accept every one, and every diagram type to turn up.
// Usage: node sample_grammar.mjs mermaid.gbnf COUNT SEED [OUT.jsonl]
// OUT.jsonl, when given, receives the samples ({"diagram", "seed"}) so the
// C++ side can confirm runtime/grammar accepts them too.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseGbnf, sample, rng, matches } from './gbnf.mjs';
import { mermaidError } from './mermaid_env.mjs';

const [gbnfPath, countArg, seedArg, outPath] = process.argv.slice(2);
const rules = parseGbnf(readFileSync(gbnfPath, 'utf8'));
const count = Number(countArg), seed0 = Number(seedArg);
const TYPES = ['flowchart', 'graph', 'sequenceDiagram', 'classDiagram', 'stateDiagram-v2', 'stateDiagram',
               'erDiagram', 'pie', 'gantt', 'mindmap'];
const seen = Object.fromEntries(TYPES.map((t) => [t, 0]));
const out = [];
let bad = 0;
for (let k = 0; k < count; k++) {
  const seed = seed0 + k;
  // Short and long diagrams both: the budget past which every choice closes.
  const text = sample(rules, rng(seed), [60, 200, 600][k % 3]);
  seen[text.split(/[\s]/)[0]]++;
  out.push(JSON.stringify({ diagram: text, seed }));
  if (!matches(rules, text)) {
    bad++;
    console.log(`seed ${seed}: the sampler drew a string its own recogniser rejects: ${JSON.stringify(text)}`);
    continue;
  }
  const error = await mermaidError(text);
  if (error !== null) {
    bad++;
    console.log(`seed ${seed}: mermaid rejects a string of the grammar: ${JSON.stringify(text)}: ${error}`);
  }
}
for (const t of TYPES) {
  if (seen[t] === 0) { bad++; console.log(`no ${t} among ${count} samples`); }
}
if (outPath) writeFileSync(outPath, out.join('\n') + '\n');
console.log(`${count - bad}/${count} samples of ${gbnfPath} accepted by mermaid; by type ${JSON.stringify(seen)}`);
process.exit(bad === 0 && count > 0 ? 0 : 1);
