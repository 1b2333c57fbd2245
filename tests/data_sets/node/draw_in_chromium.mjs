// Draws Mermaid diagrams with the real mermaid (dist/mermaid.min.js of this
// folder's node_modules) in headless Chromium, the way a browser shows them:
// parsing is not enough, some diagrams parse and then fail to draw (a
// subgraph holding itself, a state note on a state no line introduced).
// jsdom cannot lay out SVG, so this is the only drawing check.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');

// $CHROMIUM (when set, and null if it does not exist: CHROMIUM=none turns the
// drawing off), or the first of the usual names on $PATH; null when none.
export function chromiumPath() {
  if (process.env.CHROMIUM !== undefined) return existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : null;
  for (const dir of (process.env.PATH || '').split(':')) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

// The page renders every diagram in turn and leaves the verdicts, base64 JSON
// (so no HTML escaping stands in the way), in <pre id="out">.
function page(texts) {
  const data = JSON.stringify(texts).replace(/</g, '\\u003c');
  return `<!doctype html><html><body><pre id="out">pending</pre>
<script src="file://${script}"></script>
<script>
mermaid.initialize({ startOnLoad: false });
(async () => {
  const texts = ${data};
  const verdicts = [];
  for (let i = 0; i < texts.length; i++) {
    // (a render that never settles is a verdict too, not a hang)
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('no drawing after 20 s')), 20000));
    try {
      const { svg } = await Promise.race([mermaid.render('d' + i, texts[i]), late]);
      // mermaid does not throw for a drawing with nowhere to put things: the
      // browser then logs an error for each NaN, undefined or negative size.
      const broken = /\\s(?:x|y|x1|x2|y1|y2|cx|cy|r|rx|ry|width|height|points|d|transform)="[^"]*(?:NaN|undefined)[^"]*"|\\s(?:width|height)="-/.exec(svg);
      verdicts.push(broken ? 'drawn with an impossible attribute: ' + broken[0].slice(0, 80) : null);
    }
    catch (e) { verdicts.push(String((e && e.message) || e).split('\\n').join(' | ')); }
    document.querySelectorAll('body > div, body > svg').forEach((n) => n.remove());
  }
  const json = JSON.stringify(verdicts);
  document.getElementById('out').textContent = btoa(unescape(encodeURIComponent(json)));
})();
</script></body></html>`;
}

function drawBatch(chromium, texts, dir, k) {
  const file = join(dir, `page${k}.html`);
  writeFileSync(file, page(texts));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files',
                '--virtual-time-budget=600000', '--dump-dom', `file://${file}`];
  return new Promise((resolve, reject) => {
    execFile(chromium, args, { maxBuffer: 1 << 28, timeout: 600000 }, (error, stdout) => {
      const m = /<pre id="out">([A-Za-z0-9+/=]+)<\/pre>/.exec(stdout || '');
      if (!m) { reject(new Error(`chromium gave no verdicts${error ? ': ' + error.message : ''}`)); return; }
      resolve(JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')));
    });
  });
}

// One verdict per text: null when drawn, else mermaid's message. Throws when
// Chromium cannot be run; callers check chromiumPath() first.
export async function drawErrors(texts, batch = 200) {
  const chromium = chromiumPath();
  if (!chromium) throw new Error('no chromium');
  if (!existsSync(script)) throw new Error(`${script} missing`);
  const dir = mkdtempSync(join(tmpdir(), 'mermaid-draw-'));
  try {
    const out = [];
    for (let k = 0; k * batch < texts.length; k++) {
      out.push(...await drawBatch(chromium, texts.slice(k * batch, (k + 1) * batch), dir, k));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
