/**
 * report.html: one self-contained file (inline CSS, inline SVG charts, a few lines of inline
 * script for searching and paging long tables). A Content-Security-Policy forbids every network
 * request, so the page works offline and cannot leak anything when forwarded.
 */
import { formatBytes, formatDuration } from '../../core/units.ts';
import type { Chart } from './charts.ts';
import { type ListTable, provenBy, type ReportModel } from './model.ts';

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const iso = (t?: number) => (t === undefined ? '—' : new Date(t).toISOString().replace('.000Z', 'Z'));
/** 2026-12-01 21:35:41 UTC, without milliseconds (the table's width). */
const when = (t?: number) =>
  t === undefined ? '—' : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}`;
const PAGE_ROWS = 25;

const CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2329;background:#f4f6f8}
main{max-width:920px;margin:0 auto;padding:24px}
header.verdict{border-radius:8px;padding:18px 22px;color:#fff;margin-bottom:18px}
header.ok{background:#2e7d32}header.bad{background:#c62828}
header h1{margin:0 0 6px;font-size:22px}header p{margin:2px 0}
.nums{display:flex;gap:12px;flex-wrap:wrap;margin-top:12px}
.num{background:rgba(255,255,255,.16);border-radius:6px;padding:6px 12px;min-width:120px}
.num b{display:block;font-size:22px}
section{background:#fff;border-radius:8px;padding:14px 18px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
section h2{font-size:16px;margin:0 0 10px}
figure{margin:0}figure svg{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e7eb;vertical-align:top}
th{background:#f0f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,.key{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.muted{color:#5f6b76}.pager{display:flex;gap:8px;align-items:center;margin:8px 0}
.pager input{flex:1;padding:4px 8px}
@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid}.pager{display:none}header.verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`;

/** Paging and search of the long tables; without script every kept row simply shows. */
const SCRIPT = `
document.querySelectorAll('table.paged').forEach(function(t){
  var rows=[].slice.call(t.tBodies[0].rows),per=${PAGE_ROWS},page=0,shown=rows;
  var bar=t.previousElementSibling,q=bar.querySelector('input'),info=bar.querySelector('.info');
  var prev=bar.querySelector('.prev'),next=bar.querySelector('.next');
  function draw(){var pages=Math.max(1,Math.ceil(shown.length/per));page=Math.min(page,pages-1);
    rows.forEach(function(r){r.hidden=true});
    shown.slice(page*per,page*per+per).forEach(function(r){r.hidden=false});
    info.textContent=shown.length+' row(s), page '+(page+1)+' of '+pages;}
  q.addEventListener('input',function(){var s=q.value.toLowerCase();
    shown=rows.filter(function(r){return r.textContent.toLowerCase().indexOf(s)>=0});page=0;draw();});
  prev.addEventListener('click',function(){if(page>0){page--;draw();}});
  next.addEventListener('click',function(){page++;draw();});
  bar.hidden=false;draw();
});
`;

function list(l: ListTable): string {
  const left = l.total - l.rows.length;
  return `<section class="list"><h2>${esc(l.title)}</h2>
<p class="muted">${l.total} in all${left > 0 ? `; the first ${l.rows.length} are here, ${left} more are left out` : ''}${l.fullList ? ` — the full list: <code>${esc(l.fullList)}</code>` : ''}</p>
${
  l.rows.length
    ? `<div class="pager" hidden><input type="search" placeholder="search keys, outcomes…" aria-label="search ${esc(l.title)}"><button class="prev" type="button">‹ prev</button><span class="info"></span><button class="next" type="button">next ›</button></div>
<table class="paged"><thead><tr>${l.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>
${l.rows.map((r) => `<tr>${r.map((c, i) => `<td${i === 0 ? ' class="key"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`
    : ''
}</section>`;
}

export function renderPage(m: ReportModel, charts: Chart[]): string {
  const h = m.headline;
  const chart = (name: string) => {
    const c = charts.find((x) => x.name === name);
    return c
      ? `<section><h2>${esc(c.title)}</h2><figure class="chart" data-chart="${esc(c.name)}">${c.svg}</figure></section>`
      : '';
  };
  const v = m.verification;
  const d = m.deadline;
  const parts = [
    `<header class="verdict ${h.ok ? 'ok' : 'bad'}"><h1 id="outcome">${h.ok ? '✔' : '✗'} ${esc(h.text)}</h1>
<p>${esc(m.source)} → ${esc(m.destination)}</p>
<p>job <b>${esc(m.job)}</b>${m.t1 !== undefined ? ` · T1 ${iso(m.t1)}` : ''}${m.t2 !== undefined ? ` · T2 ${iso(m.t2)}` : ''} · generated ${esc(m.generatedAt)}</p>
<div class="nums">${h.numbers.map((n) => `<div class="num"><b data-num="${esc(n.name)}">${n.value}</b>${esc(n.label)}</div>`).join('')}</div></header>`,
    chart('timeline'),
    m.phases.length
      ? `<section><h2>Phases</h2><table><thead><tr><th>phase</th><th>started (UTC)</th><th>finished (UTC)</th><th>took</th><th class="n">copied</th><th class="n">skipped</th><th class="n">deferred</th><th class="n">kept</th><th class="n">failed</th></tr></thead><tbody>
${m.phases
  .map(
    (p) =>
      `<tr><td title="pass ${esc(p.passId)}">${esc(p.label)}</td><td>${when(p.startedAt)}</td><td>${when(p.finishedAt)}</td><td>${p.finishedAt ? formatDuration(p.finishedAt - p.startedAt) : '—'}</td>${(['copied', 'skipped', 'deferred', 'kept', 'failed'] as const).map((k) => `<td class="n">${p.outcomes ? p.outcomes[k] : ''}</td>`).join('')}</tr>`,
  )
  .join('\n')}
</tbody></table></section>`
      : '',
    chart('bytes'),
    chart('objects'),
    chart('workers'),
    chart('outcomes'),
    m.failures.length
      ? `${chart('failures')}<section><h2>Failures by class: reason, fix, first keys</h2><table><thead><tr><th>class</th><th class="n">objects</th><th>reason</th><th>fix</th><th>first keys</th></tr></thead><tbody>
${m.failures.map((f) => `<tr><td><b>${esc(f.cls)}</b></td><td class="n">${f.count}</td><td>${esc(f.reason)}</td><td>${esc(f.fix)}</td><td>${f.keys.map((k) => `<div class="key">${esc(k)}</div>`).join('')}</td></tr>`).join('\n')}
</tbody></table></section>`
      : '<section><h2>Failures</h2><p>None: no object is left failed.</p></section>',
    v
      ? `${chart('verification')}<section><h2>Verification totals</h2><table><tbody>
<tr><td>verified</td><td class="n" data-num="verification.verified">${v.verified}</td><td>${v.verified - v.kept} identical ${v.methods ? '(no download)' : 'by size + CRC-64 on both sides (no download)'}${v.kept ? `, ${v.kept} kept: rewritten in OSS by the business after cutover` : ''}</td></tr>
<tr><td>proved by</td><td class="n"></td><td>${
          v.methods
            ? esc(provenBy(v.methods))
            : 'size + CRC-64 where both sides have one (the per-method count is not recorded by this version)'
        }</td></tr>
<tr><td>missing</td><td class="n">${v.missing}</td><td>in the source, not in OSS</td></tr>
<tr><td>different</td><td class="n">${v.different}</td><td>size or checksum differs</td></tr>
<tr><td>unverifiable</td><td class="n">${v.unverifiable}</td><td>no CRC-64 and no single-part MD5 on a side</td></tr>
<tr><td>changed after the window</td><td class="n">${v.changedAfterWindow}</td><td>modified in the source after the phase's window</td></tr>
<tr><td>errors</td><td class="n">${v.errors}</td><td>could not be compared</td></tr>
<tr><td>only in OSS</td><td class="n">${v.extra}</td><td>written to OSS only; deletions are reported, never propagated</td></tr>
</tbody></table></section>`
      : '',
    m.survey
      ? `${chart('sizes')}${chart('classes')}<section><h2>Source</h2><p>${m.survey.objects} objects, ${formatBytes(m.survey.bytes)}${m.survey.largest ? `; largest <code>${esc(m.survey.largest.key)}</code> (${formatBytes(m.survey.largest.size)})` : ''}${m.survey.invalidNames ? `; ${m.survey.invalidNames} name(s) OSS would refuse` : ''}.</p></section>`
      : '',
    d
      ? `${chart('deadline')}<section><h2>Cost and time</h2><p>Plan: ${d.instances} instance(s), about ${formatDuration(d.estimatedMs)} for a deadline of ${d.deadlineDays} day(s). Actual: ${formatDuration(d.elapsedMs)} from the plan to this report (${d.elapsedMs <= d.deadlineDays * 86_400_000 ? 'within' : 'past'} the deadline). Transferred ${formatBytes(d.transferredBytes)}${
          d.egressPricePerGB !== undefined
            ? `; source egress ≈ ${Math.round((d.transferredBytes / 1e9) * d.egressPricePerGB * 100) / 100} at ${d.egressPricePerGB} per GB`
            : ' (egress cost: price it with `ossmigrate plan --egress-price`)'
        }; instance time ≈ ${formatDuration(d.elapsedMs * Math.max(1, d.instances))}.</p></section>`
      : '',
    ...m.lists.map(list),
    `<section><h2>Files of this report</h2><table><tbody>${m.files.map((f) => `<tr><td>${esc(f.name)}</td><td><code>${esc(f.path)}</code></td></tr>`).join('')}</tbody></table>${m.notes.map((n) => `<p class="muted">${esc(n)}</p>`).join('')}</section>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(m.title)}</title><style>${CSS}</style></head>
<body><main>
${parts.filter(Boolean).join('\n')}
</main><script>${SCRIPT}</script></body></html>
`;
}
