/**
 * The report's charts: Apache ECharts rendered on the server to SVG strings (no script, no
 * network, printable). ECharts is loaded only here, on the first report: start-up stays fast.
 */
import { SIZE_BUCKET_LABELS } from '../../core/survey.ts';
import { formatBytes, formatDuration } from '../../core/units.ts';
import type { ReportModel } from './model.ts';
import { rates, workerRates } from './model.ts';

export type Chart = { name: string; title: string; svg: string };

/** ECharts option objects are deep and loosely typed; the charts below are built as plain data. */
type Option = Record<string, unknown>;

const COLORS = {
  copied: '#2e7d32',
  skipped: '#78909c',
  deferred: '#f9a825',
  kept: '#6a1b9a',
  failed: '#c62828',
  verified: '#2e7d32',
  problem: '#c62828',
};
const PALETTE = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037', '#455a64'];
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

type Echarts = typeof import('echarts/core');
let loaded: Promise<Echarts> | undefined;

async function load(): Promise<Echarts> {
  loaded ??= (async () => {
    const [core, charts, components, renderers] = await Promise.all([
      import('echarts/core'),
      import('echarts/charts'),
      import('echarts/components'),
      import('echarts/renderers'),
    ]);
    core.use([
      charts.LineChart,
      charts.BarChart,
      charts.PieChart,
      charts.CustomChart,
      components.GridComponent,
      components.LegendComponent,
      components.MarkLineComponent,
      components.TitleComponent,
      renderers.SVGRenderer,
    ]);
    return core;
  })();
  return loaded;
}

const rate = (n: number) => `${formatBytes(n)}/s`;
const hhmm = (t: number) => new Date(t).toISOString().slice(11, 19);
const timeAxis = () => ({
  type: 'time',
  splitNumber: 6,
  axisLabel: { formatter: (v: number) => hhmm(v), hideOverlap: true },
});

function base(o: Option): Option {
  return {
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: FONT },
    grid: { left: 90, right: 30, top: 40, bottom: 40 },
    ...o,
  };
}

function timeline(m: ReportModel): Option | undefined {
  const rows = m.phases.filter((p) => p.finishedAt !== undefined || p.series?.points.length);
  if (!rows.length) return undefined;
  const end = (p: (typeof rows)[number]) => p.finishedAt ?? p.series?.points.at(-1)?.t ?? p.startedAt;
  const marks = [
    ...(m.t1 !== undefined ? [{ name: 'T1', xAxis: m.t1 }] : []),
    ...(m.t2 !== undefined ? [{ name: 'T2', xAxis: m.t2 }] : []),
  ];
  const first = Math.min(...rows.map((p) => p.startedAt), ...marks.map((x) => x.xAxis));
  const last = Math.max(...rows.map(end), ...marks.map((x) => x.xAxis));
  return base({
    grid: { left: 110, right: 40, top: 30, bottom: 40 },
    xAxis: { ...timeAxis(), min: first, max: last },
    yAxis: { type: 'category', data: rows.map((p) => p.label), inverse: true },
    series: [
      {
        type: 'custom',
        encode: { x: [1, 2], y: 0 },
        data: rows.map((p, i) => [i, p.startedAt, Math.max(end(p), p.startedAt + 1), p.mode]),
        renderItem: (
          _params: unknown,
          api: {
            value(i: number): number | string;
            coord(v: [number, number]): [number, number];
            size(v: [number, number]): [number, number];
          },
        ) => {
          const y = api.value(0) as number;
          const a = api.coord([api.value(1) as number, y]);
          const b = api.coord([api.value(2) as number, y]);
          const h = api.size([0, 1])[1] * 0.55;
          return {
            type: 'rect',
            shape: { x: a[0], y: a[1] - h / 2, width: Math.max(2, b[0] - a[0]), height: h },
            style: { fill: api.value(3) === 'verify' ? '#00838f' : '#1565c0' },
          };
        },
        markLine: marks.length
          ? {
              symbol: 'none',
              lineStyle: { color: '#333', type: 'dashed' },
              label: { formatter: '{b}', position: 'end' },
              data: marks,
            }
          : undefined,
      },
    ],
  });
}

function throughput(m: ReportModel, what: 'bytes' | 'objects'): Option | undefined {
  const series = m.phases
    .filter((p) => p.series?.points.length)
    .map((p) => ({
      name: p.label,
      type: 'line',
      step: 'end',
      showSymbol: false,
      data: rates(p.series!.points, p.startedAt).map((r) => [
        r.t,
        what === 'bytes' ? r.bytesPerSec : r.objectsPerSec,
      ]),
    }))
    .filter((s) => s.data.length);
  if (!series.length) return undefined;
  return base({
    legend: { top: 5 },
    xAxis: timeAxis(),
    yAxis: {
      type: 'value',
      axisLabel: { formatter: (v: number) => (what === 'bytes' ? rate(v) : `${Math.round(v)}/s`) },
    },
    series,
  });
}

function perWorker(m: ReportModel): Option | undefined {
  const series: Option[] = [];
  for (const p of m.phases) {
    if (!p.series) continue;
    for (const [id, data] of workerRates(p.series.points)) {
      if (data.length) series.push({ name: `${id} (${p.label})`, type: 'line', showSymbol: false, data });
    }
  }
  if (!series.length) return undefined;
  return base({
    legend: { top: 5, type: 'plain' },
    xAxis: timeAxis(),
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => rate(v) } },
    series,
  });
}

function outcomes(m: ReportModel): Option | undefined {
  const rows = m.phases.filter((p) => p.outcomes);
  if (!rows.length) return undefined;
  const keys = ['copied', 'skipped', 'deferred', 'kept', 'failed'] as const;
  return base({
    legend: { top: 5 },
    grid: { left: 110, right: 30, top: 40, bottom: 30 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: rows.map((p) => p.label), inverse: true },
    series: keys.map((k) => ({
      name: k,
      type: 'bar',
      stack: 'all',
      color: COLORS[k],
      label: { show: true, formatter: (x: { value: number }) => (x.value ? String(x.value) : '') },
      data: rows.map((p) => p.outcomes![k]),
    })),
  });
}

function failures(m: ReportModel): Option | undefined {
  if (!m.failures.length) return undefined;
  return base({
    grid: { left: 170, right: 40, top: 20, bottom: 30 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: m.failures.map((f) => f.cls), inverse: true },
    series: [
      {
        type: 'bar',
        color: COLORS.failed,
        label: { show: true, position: 'right' },
        data: m.failures.map((f) => f.count),
      },
    ],
  });
}

function sizes(m: ReportModel): Option | undefined {
  const s = m.survey;
  if (!s || s.objects === 0) return undefined;
  return base({
    grid: { left: 70, right: 20, top: 30, bottom: 40 },
    xAxis: { type: 'category', data: SIZE_BUCKET_LABELS, axisLabel: { interval: 0 } },
    yAxis: { type: 'value', minInterval: 1, name: 'objects' },
    series: [{ type: 'bar', color: '#1565c0', label: { show: true, position: 'top' }, data: s.histogram }],
  });
}

function classes(m: ReportModel): Option | undefined {
  const s = m.survey;
  const entries = Object.entries(s?.storageClasses ?? {}).filter(([, v]) => v && v.objects > 0);
  if (!entries.length) return undefined;
  return base({
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['35%', '65%'],
        label: { formatter: '{b}: {c}' },
        data: entries.map(([name, v]) => ({ name, value: v!.objects })),
      },
    ],
  });
}

function verification(m: ReportModel): Option | undefined {
  const v = m.verification;
  if (!v) return undefined;
  const rows: Array<[string, number, string]> = [
    ['identical', v.verified - v.kept, COLORS.verified],
    ['kept (newer in OSS)', v.kept, COLORS.kept],
    ['missing', v.missing, COLORS.problem],
    ['different', v.different, COLORS.problem],
    ['unverifiable', v.unverifiable, COLORS.deferred],
    ['changed after window', v.changedAfterWindow, COLORS.deferred],
    ['errors', v.errors, COLORS.problem],
    ['only in OSS', v.extra, COLORS.skipped],
  ];
  return base({
    grid: { left: 160, right: 50, top: 20, bottom: 30 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: rows.map((r) => r[0]), inverse: true },
    series: [
      {
        type: 'bar',
        label: { show: true, position: 'right' },
        data: rows.map(([, value, color]) => ({ value: Math.max(0, value), itemStyle: { color } })),
      },
    ],
  });
}

function deadline(m: ReportModel): Option | undefined {
  const d = m.deadline;
  if (!d) return undefined;
  const limitMs = d.deadlineDays * 86_400_000;
  // Seconds on a log axis: a demo's minutes and a 30-day deadline both stay readable.
  const rows: Array<[string, number, string]> = [
    ['plan estimate', d.estimatedMs, '#78909c'],
    ['actual', d.elapsedMs, d.elapsedMs <= limitMs ? COLORS.copied : COLORS.failed],
    ['deadline', limitMs, '#455a64'],
  ];
  return base({
    grid: { left: 130, right: 90, top: 20, bottom: 40 },
    xAxis: { type: 'log', name: 's', axisLabel: { formatter: (v: number) => formatDuration(v * 1000) } },
    yAxis: { type: 'category', data: rows.map((r) => r[0]), inverse: true },
    series: [
      {
        type: 'bar',
        label: {
          show: true,
          position: 'right',
          formatter: (x: { value: number }) => formatDuration(x.value * 1000),
        },
        data: rows.map(([, ms, color]) => ({ value: Math.max(1, ms / 1000), itemStyle: { color } })),
      },
    ],
  });
}

const CHARTS: Array<{
  name: string;
  title: string;
  height: number;
  build(m: ReportModel): Option | undefined;
}> = [
  { name: 'timeline', title: 'Phases on a time axis (T1, T2 marked)', height: 200, build: timeline },
  { name: 'bytes', title: 'Bytes per second, per phase', height: 280, build: (m) => throughput(m, 'bytes') },
  {
    name: 'objects',
    title: 'Objects per second, per phase',
    height: 280,
    build: (m) => throughput(m, 'objects'),
  },
  { name: 'workers', title: 'Bytes per second, per worker', height: 280, build: perWorker },
  { name: 'outcomes', title: 'Outcomes by phase', height: 200, build: outcomes },
  { name: 'failures', title: 'Failures by class', height: 220, build: failures },
  { name: 'verification', title: 'Final verification', height: 280, build: verification },
  { name: 'sizes', title: 'Source: object sizes', height: 260, build: sizes },
  { name: 'classes', title: 'Source: storage classes', height: 260, build: classes },
  { name: 'deadline', title: 'Time against the deadline (log scale)', height: 180, build: deadline },
];

/** Every chart that has data, as an SVG string (charts without data are left out, not drawn empty). */
export async function renderCharts(m: ReportModel, width = 860): Promise<Chart[]> {
  const wanted = CHARTS.map((c) => ({ c, option: c.build(m) })).filter((x) => x.option);
  if (!wanted.length) return [];
  const echarts = await load();
  return wanted.map(({ c, option }) => {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height: c.height });
    try {
      chart.setOption(option as Parameters<typeof chart.setOption>[0]);
      return { name: c.name, title: c.title, svg: chart.renderToSVGString() };
    } finally {
      chart.dispose();
    }
  });
}
