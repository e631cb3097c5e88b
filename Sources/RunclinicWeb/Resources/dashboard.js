// runclinic's dashboard: one more client of the JSON-RPC API, over a WebSocket to the server
// that served this page. Live data arrives as notifications (store.watch), never by polling.
'use strict';

// ---- the wire ---------------------------------------------------------------------------------

/** Non-finite numbers arrive as the strings "NaN", "Infinity", "-Infinity". */
function num(value) {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return value === null || value === undefined ? NaN : Number(value);
}

class Rpc {
  constructor() {
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.queue = [];
    this.onOpen = [];
    this.connect();
  }

  connect() {
    const token = new URLSearchParams(location.search).get('token');
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    this.socket = new WebSocket(scheme + location.host + '/rpc' + (token ? '?token=' + encodeURIComponent(token) : ''));
    this.socket.onopen = () => {
      showConnection('live');
      for (const text of this.queue.splice(0)) this.socket.send(text);
      for (const callback of this.onOpen) callback();
    };
    this.socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    this.socket.onclose = () => {
      showConnection('down');
      for (const [, waiting] of this.pending) waiting.reject(new Error('the connection to runclinic closed'));
      this.pending.clear();
      setTimeout(() => this.connect(), 2000);
    };
  }

  receive(message) {
    if (Array.isArray(message)) return message.forEach((one) => this.receive(one));
    if (message.id !== undefined && message.id !== null && this.pending.has(message.id)) {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) {
        const error = new Error(message.error.message);
        error.code = message.error.code;
        waiting.reject(error);
      } else {
        waiting.resolve(message.result);
      }
    } else if (message.method) {
      for (const handler of this.handlers.get(message.method) || []) handler(message.params);
    }
  }

  call(method, params) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      const text = JSON.stringify({ jsonrpc: '2.0', id, method, params: params || {} });
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
      else this.queue.push(text);
    });
  }

  on(method, handler) {
    if (!this.handlers.has(method)) this.handlers.set(method, []);
    this.handlers.get(method).push(handler);
    return () => this.handlers.set(method, this.handlers.get(method).filter((h) => h !== handler));
  }
}

function showConnection(state) {
  const element = document.getElementById('connection');
  element.className = 'connection ' + state;
  element.textContent = state === 'live' ? 'live' : 'reconnecting…';
}

const rpc = new Rpc();

// ---- what this page follows: one watch per connection, the union of what is on screen ----------

const watching = { runs: [] };
function updateWatch() {
  return rpc.call('store.watch', { runs: watching.runs, alerts: true, alert_backlog: 200, run_list: true });
}
rpc.onOpen.push(() => { updateWatch().then(() => route()); });

// The alerts feed is kept whatever page is open, so the badge counts what came in meanwhile.
const alerts = [];
const alertKeys = new Set();
let unseenAlerts = 0;
rpc.on('store.alert', (alert) => {
  // A reconnection asks for the backlog again: what is shown already is not added twice.
  const key = alert.run.run_id + ':' + alert.step + ':' + JSON.stringify(alert.anomalies) + JSON.stringify(alert.action);
  if (alertKeys.has(key)) return;
  alertKeys.add(key);
  alerts.unshift(alert);
  if (alerts.length > 1000) alerts.pop();
  if (currentPage !== 'alerts' && severityOf(alert) !== 'info') unseenAlerts += 1;
  showAlertCount();
});
function showAlertCount() {
  const badge = document.getElementById('alert-count');
  badge.hidden = unseenAlerts === 0;
  badge.textContent = String(unseenAlerts);
}
const severityRank = { info: 0, warning: 1, high: 2, critical: 3 };
function severityOf(alert) {
  let worst = 'info';
  for (const anomaly of alert.anomalies || []) {
    if (severityRank[anomaly.severity] > severityRank[worst]) worst = anomaly.severity;
  }
  return worst;
}

// ---- helpers --------------------------------------------------------------------------------

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'className') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function formatNumber(value) {
  const number = num(value);
  if (Number.isNaN(number)) return 'NaN';
  if (!Number.isFinite(number)) return number > 0 ? '+∞' : '-∞';
  if (number === 0) return '0';
  const magnitude = Math.abs(number);
  if (magnitude >= 1e5 || magnitude < 1e-3) return number.toExponential(3);
  return String(Number(number.toPrecision(4)));
}

function formatTime(seconds) {
  if (!seconds) return '';
  return new Date(seconds * 1000).toLocaleString();
}

function formatDuration(seconds) {
  if (!(seconds > 0)) return '';
  if (seconds < 90) return Math.round(seconds) + ' s';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min';
  return (seconds / 3600).toFixed(1) + ' h';
}

function runLink(run) {
  return element('a', { href: '#/run/' + run.run_id }, run.name);
}

function showError(container, error) {
  container.append(element('p', { className: 'error' }, String(error.message || error)));
}

// ---- pages ----------------------------------------------------------------------------------

let currentPage = null;
let routeQuery = new URLSearchParams();
let leavePage = () => {};

function route() {
  leavePage();
  leavePage = () => {};
  const main = document.getElementById('main');
  main.replaceChildren();
  const hash = location.hash || '#/runs';
  const [path, query] = hash.slice(2).split('?');
  routeQuery = new URLSearchParams(query || '');
  const parts = path.split('/');
  currentPage = parts[0] || 'runs';
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('active', link.dataset.page === currentPage);
  }
  const pages = { runs: runsPage, run: runPage, alerts: alertsPage, audit: auditPage, compare: comparePage, hparams: hparamsPage, analysis: analysisPage };
  const page = pages[currentPage] || runsPage;
  const done = page(main, parts.slice(1));
  Promise.resolve(done).catch((error) => showError(main, error)).finally(() => {
    document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1);
  });
}
window.addEventListener('hashchange', route);

// Runs: filter by project, status and tag; best value, anomalies by severity, live status.
async function runsPage(main) {
  if (watching.runs.length) {
    watching.runs = [];
    updateWatch();
  }
  main.append(element('h1', {}, 'Runs'));
  const project = element('select', {}, element('option', { value: '' }, 'all projects'));
  const status = element('select', {},
    ['', 'running', 'finished', 'failed', 'killed'].map((s) => element('option', { value: s }, s || 'any status')));
  const tag = element('input', { placeholder: 'tag', size: 12 });
  main.append(element('div', { className: 'filters' },
    element('label', {}, 'project '), project, element('label', {}, 'status '), status, element('label', {}, 'tag '), tag));
  const selected = new Set();
  const compare = element('button', { type: 'button', className: 'primary', id: 'compare-selected', disabled: true,
    onclick: () => { location.hash = '#/compare?runs=' + [...selected].join(','); } }, 'compare selected');
  main.append(element('div', { className: 'actions-bar' }, compare));
  const table = element('table', { id: 'runs' });
  main.append(table);
  const runs = new Map();
  const details = new Map();
  const { runs: listed } = await rpc.call('run.list', { limit: 500 });
  for (const run of listed) runs.set(run.run_id, run);
  const projects = [...new Set(listed.map((run) => run.project))].sort();
  for (const name of projects) project.append(element('option', { value: name }, name));

  async function loadDetails(run) {
    const [anomalies, info] = await Promise.all([
      rpc.call('run.anomalies', { run: run.run_id, min_severity: 'warning' }),
      rpc.call('run.get', { run: run.run_id }),
    ]);
    const counts = { warning: 0, high: 0, critical: 0 };
    for (const anomaly of anomalies.anomalies) counts[anomaly.severity] = (counts[anomaly.severity] || 0) + 1;
    // The best value of the run's headline metric: thinned to one range, a series keeps its
    // lowest and highest value.
    let best = null;
    const key = headlineMetric(info);
    if (key) {
      const reply = await rpc.call('run.metrics', { run: run.run_id, keys: [key], max_points: 2 });
      const values = reply.series[key].values.map(num).filter(Number.isFinite);
      if (values.length) best = { key, value: lowerIsBetter(key) ? Math.min(...values) : Math.max(...values) };
    }
    details.set(run.run_id, { counts, info, best });
  }
  await Promise.all(listed.map(loadDetails));

  function render() {
    const rows = [...runs.values()]
      .filter((run) => !project.value || run.project === project.value)
      .filter((run) => !status.value || run.status === status.value)
      .filter((run) => !tag.value || (run.tags || []).some((t) => t.includes(tag.value)))
      .sort((a, b) => b.started_at - a.started_at);
    table.replaceChildren(element('tr', {},
      ['', 'status', 'run', 'project', 'tags', 'last step', 'best', 'anomalies', 'started', 'duration']
        .map((title) => element('th', {}, title))));
    for (const run of rows) {
      const detail = details.get(run.run_id) || { counts: {}, info: {} };
      const bestText = detail.best ? detail.best.key + ' ' + formatNumber(detail.best.value) : '';
      const lastStep = run.last_step !== undefined ? run.last_step : detail.info.last_step;
      const live = run.status === 'running' && run.updated && Date.now() - run.updated < 30000;
      const box = element('input', { type: 'checkbox', checked: selected.has(run.run_id) });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(run.run_id); else selected.delete(run.run_id);
        compare.disabled = selected.size < 2;
      });
      table.append(element('tr', { 'data-run': run.run_id },
        element('td', {}, box),
        element('td', {}, element('span', { className: 'status ' + run.status + (live ? ' live' : '') }, run.status)),
        element('td', {}, runLink(run)),
        element('td', {}, element('a', { href: '#/hparams/' + encodeURIComponent(run.project), title: 'hyperparameters of ' + run.project }, run.project)),
        element('td', {}, (run.tags || []).map((t) => element('span', { className: 'tag' }, t))),
        element('td', { className: 'num' }, lastStep === null || lastStep === undefined ? '' : lastStep),
        element('td', {}, bestText),
        element('td', {}, ['critical', 'high', 'warning'].filter((s) => detail.counts[s])
          .map((s) => element('span', { className: 'sev ' + s, title: s }, detail.counts[s]))),
        element('td', {}, formatTime(run.started_at)),
        element('td', {}, formatDuration((run.ended_at || Date.now() / 1000) - run.started_at))));
    }
    if (!rows.length) table.append(element('tr', {}, element('td', { colspan: 10, className: 'muted' }, 'No runs yet.')));
  }
  render();
  for (const control of [project, status]) control.addEventListener('change', render);
  tag.addEventListener('input', render);
  const offRuns = rpc.on('store.runs', async (params) => {
    for (const run of params.runs) {
      const known = runs.get(run.run_id);
      run.updated = known && known.last_step !== run.last_step ? Date.now() : (known && known.updated);
      if (!known) {
        if (![...project.options].some((o) => o.value === run.project)) {
          project.append(element('option', { value: run.project }, run.project));
        }
      }
      runs.set(run.run_id, run);
      if (!known || known.status !== run.status) await loadDetails(run).catch(() => {});
    }
    render();
  });
  const offAlerts = rpc.on('store.alert', async (alert) => {
    const run = runs.get(alert.run.run_id);
    if (run) {
      await loadDetails(run).catch(() => {});
      render();
    }
  });
  leavePage = () => { offRuns(); offAlerts(); };
}

// A run: every metric's curve with anomalies, actions and non-finite values marked; live.
async function runPage(main, [idText]) {
  const runID = Number(idText);
  const info = await rpc.call('run.get', { run: runID });
  watching.runs = [runID];
  const watch = await updateWatch();
  const position = (watch.runs || []).find((entry) => entry.run_id === runID) || {};
  main.append(element('h1', {}, info.name, ' ', element('span', { className: 'status ' + info.status }, info.status)));
  main.append(element('div', { className: 'actions-bar' },
    element('a', { href: '#/analysis/' + runID, id: 'analyze' }, 'analysis: what went wrong, and why →')));
  main.append(element('p', { className: 'muted' },
    'project ', info.project, ' · run ', String(info.run_id), ' · started ', formatTime(info.started_at),
    ' · ', String(info.counts.points), ' points, ', String(info.counts.batches), ' batch records'));
  const tools = element('div', { className: 'chart-tools' });
  const smoothing = element('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: 0, id: 'smoothing' });
  const logScale = element('input', { type: 'checkbox', id: 'log-scale' });
  const reset = element('button', { type: 'button' }, 'reset zoom');
  tools.append(element('label', {}, 'smoothing '), smoothing, element('label', {}, logScale, ' log scale'), reset,
    element('span', { className: 'legend-note' },
      'drag across a chart to zoom · ▲ NaN or +∞, ▼ -∞, at the chart\'s edge · red | actions · purple ┆ change points · dashed curve: steps abandoned by a rollback'));
  main.append(tools);
  const grid = element('div', { className: 'charts' });
  main.append(grid);

  const [anomalies, actions] = await Promise.all([
    rpc.call('run.anomalies', { run: runID }), rpc.call('run.actions', { run: runID })]);
  const charts = new Map();
  let zoom = null;

  async function load() {
    const keys = info.metric_keys;
    if (!keys.length) {
      grid.replaceChildren(element('p', { className: 'muted' }, 'No metrics logged yet.'));
      return;
    }
    const width = Math.max(400, Math.round(grid.clientWidth || 800));
    const range = zoom ? { since_step: zoom[0], until_step: zoom[1] } : {};
    const untilLive = !zoom && position.step !== null && position.step !== undefined ? { until_step: position.step } : {};
    const [current, superseded] = await Promise.all([
      rpc.call('run.metrics', { run: runID, keys, max_points: width * 2, ...range, ...untilLive }),
      rpc.call('run.metrics', { run: runID, keys, attempts: 'superseded', max_points: width, ...range }),
    ]);
    for (const key of keys) {
      const chart = charts.get(key) || makeChart(key);
      chart.setSeries(current.series[key], superseded.series[key]);
    }
  }

  function makeChart(key) {
    const canvas = element('canvas', { 'data-metric': key });
    const card = element('div', { className: 'chart-card' },
      element('h3', {}, key, element('span', { className: 'muted value' })), element('div', { className: 'chart-box' }, canvas));
    grid.append(card);
    const chart = new MetricChart(canvas, key, {
      anomalies: anomalies.anomalies.filter((a) => a.metric === key),
      actions: actions.actions,
      onZoom: (from, to) => { zoom = [Math.floor(from), Math.ceil(to)]; load(); },
      label: card.querySelector('.value'),
    });
    charts.set(key, chart);
    return chart;
  }

  smoothing.addEventListener('input', () => charts.forEach((chart) => chart.setSmoothing(Number(smoothing.value))));
  logScale.addEventListener('change', () => charts.forEach((chart) => chart.setLogScale(logScale.checked)));
  reset.addEventListener('click', () => { zoom = null; load(); });
  await load();
  // The analysis's change points, marked when it is done: the charts do not wait for it.
  rpc.call('analyze.run', { run: runID }).then((analysis) => {
    for (const [key, chart] of charts) chart.setChangePoints(analysis.change_points.filter((point) => point.metric === key));
  }).catch(() => {});
  main.append(element('h2', {}, 'Validation batches'));
  const heat = element('div', { className: 'heatmap', id: 'heatmap' });
  main.append(heat);
  const samples = element('div', { className: 'samples', id: 'samples', hidden: true });
  main.append(samples);
  await batchHeatMap(heat, samples, runID);
  if (Object.keys(info.config || {}).length) {
    main.append(element('h2', {}, 'Config'));
    main.append(element('dl', { className: 'config' },
      Object.entries(flatten(info.config)).flatMap(([key, value]) => [element('dt', {}, key), element('dd', {}, JSON.stringify(value))])));
  }

  const offPoints = rpc.on('store.points', (params) => {
    if (params.run_id !== runID || zoom) return;
    for (const point of params.points) {
      for (const [key, value] of Object.entries(point.metrics)) {
        let chart = charts.get(key);
        if (!chart) {
          info.metric_keys.push(key);
          chart = makeChart(key);
          chart.setSeries({ steps: [], values: [] }, { steps: [], values: [] });
        }
        chart.append(point.step, num(value), point.attempt);
      }
    }
    charts.forEach((chart) => chart.flush());
  });
  const offAlerts = rpc.on('store.alert', (alert) => {
    if (alert.run.run_id !== runID) return;
    for (const anomaly of alert.anomalies) charts.get(anomaly.metric)?.addAnomaly(anomaly);
    if (alert.action) charts.forEach((chart) => chart.addAction(alert.action));
  });
  leavePage = () => { offPoints(); offAlerts(); charts.forEach((chart) => chart.destroy()); };
}

/** The metric a run is judged by: its checkpoints' primary metric, else a validation score, else a loss. */
function headlineMetric(info) {
  const keys = info.metric_keys || [];
  const checkpoint = info.best_checkpoint && Object.keys(info.best_checkpoint.metrics || {})[0];
  if (checkpoint && keys.includes(checkpoint)) return checkpoint;
  return keys.find((key) => /^val.*(acc|f1|recall|precision|auc|map|iou)/i.test(key))
    || keys.find((key) => /(acc|f1|recall|precision|auc|map|iou)/i.test(key))
    || keys.find((key) => /^val.*loss/i.test(key)) || keys.find((key) => /loss/i.test(key)) || null;
}

function lowerIsBetter(key) {
  return /loss|error|err$|perplexity|cer|wer|mse|mae|rmse/i.test(key);
}

function flatten(object, prefix = '') {
  const result = {};
  for (const [key, value] of Object.entries(object || {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(result, flatten(value, prefix + key + '.'));
    else result[prefix + key] = value;
  }
  return result;
}

/** One metric's chart: the series (thinned by the server to the chart's width), the steps a
 * rollback abandoned, anomalies as points, actions as vertical lines, non-finite values as marks
 * at the chart's edge. */
class MetricChart {
  constructor(canvas, key, options) {
    this.key = key;
    this.options = options;
    this.anomalies = options.anomalies.slice();
    this.actions = options.actions.slice();
    this.changePoints = [];
    this.raw = { steps: [], values: [] };
    this.pending = false;
    this.smoothing = 0;
    const self = this;
    const edgeMarks = {
      id: 'edgeMarks',
      afterDatasetsDraw(chart) {
        const { ctx, chartArea, scales } = chart;
        ctx.save();
        // Actions: a vertical line at their step, labelled with their kind.
        ctx.strokeStyle = 'rgba(201, 42, 42, 0.55)';
        ctx.fillStyle = '#c92a2a';
        ctx.font = '10px system-ui';
        let labelRow = 0;
        let lastLabel = -Infinity;
        for (const action of self.actions) {
          const x = scales.x.getPixelForValue(action.step);
          if (x < chartArea.left || x > chartArea.right) continue;
          ctx.beginPath();
          ctx.moveTo(x, chartArea.top);
          ctx.lineTo(x, chartArea.bottom);
          ctx.stroke();
          // Actions close together get their labels on rows of their own.
          labelRow = x - lastLabel < 60 ? labelRow + 1 : 0;
          lastLabel = x;
          ctx.fillText(action.kind, x + 2, chartArea.top + 10 + 11 * (labelRow % 4));
        }
        // Change points: where the analysis cuts the curve into regimes, a dotted line.
        ctx.save();
        ctx.setLineDash([2, 3]);
        ctx.strokeStyle = 'rgba(156, 54, 181, 0.8)';
        for (const point of self.changePoints) {
          const x = scales.x.getPixelForValue(point.step);
          if (x < chartArea.left || x > chartArea.right) continue;
          ctx.beginPath();
          ctx.moveTo(x, chartArea.top);
          ctx.lineTo(x, chartArea.bottom);
          ctx.stroke();
        }
        ctx.restore();
        // Non-finite values: ▲ at the top for NaN and +∞, ▼ at the bottom for -∞.
        for (let i = 0; i < self.raw.steps.length; i++) {
          const value = self.raw.values[i];
          if (Number.isFinite(value)) continue;
          const x = scales.x.getPixelForValue(self.raw.steps[i]);
          if (x < chartArea.left || x > chartArea.right) continue;
          const top = value !== -Infinity;
          const y = top ? chartArea.top + 1 : chartArea.bottom - 1;
          ctx.fillStyle = Number.isNaN(value) ? '#c92a2a' : '#d9480f';
          ctx.beginPath();
          ctx.moveTo(x, top ? y : y - 7);
          ctx.lineTo(x - 4, top ? y + 7 : y);
          ctx.lineTo(x + 4, top ? y + 7 : y);
          ctx.closePath();
          ctx.fill();
        }
        ctx.restore();
      },
    };
    this.chart = new Chart(canvas.getContext('2d'), {
      type: 'line',
      data: {
        datasets: [
          { label: key, data: [], borderColor: '#2f6fde', backgroundColor: '#2f6fde', borderWidth: 1.2, pointRadius: 0, spanGaps: false, parsing: false },
          { label: 'abandoned by a rollback', data: [], borderColor: '#98a2b3', borderDash: [4, 3], borderWidth: 1, pointRadius: 0, parsing: false },
          { label: 'anomalies', type: 'scatter', data: [], borderColor: '#c92a2a', backgroundColor: '#c92a2a', pointRadius: 3.5, parsing: false },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { maxTicksLimit: 8 } },
          y: { type: 'linear', ticks: { maxTicksLimit: 6 } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label(context) {
                const point = context.raw;
                const extra = point.message ? ' — ' + point.message : '';
                return context.dataset.label + ': ' + formatNumber(point.value !== undefined ? point.value : point.y) + extra;
              },
              title(items) { return items.length ? 'step ' + items[0].raw.x : ''; },
            },
          },
        },
      },
      plugins: [edgeMarks],
    });
    this.installZoom(canvas);
  }

  installZoom(canvas) {
    let start = null;
    canvas.addEventListener('mousedown', (event) => { start = event.offsetX; });
    canvas.addEventListener('mouseup', (event) => {
      if (start === null) return;
      const scale = this.chart.scales.x;
      const [from, to] = [start, event.offsetX].sort((a, b) => a - b);
      start = null;
      if (to - from < 8) return;
      this.options.onZoom(scale.getValueForPixel(from), scale.getValueForPixel(to));
    });
  }

  setSeries(series, superseded) {
    this.raw = { steps: (series?.steps || []).slice(), values: (series?.values || []).map(num) };
    this.superseded = { steps: superseded?.steps || [], values: (superseded?.values || []).map(num) };
    this.redraw();
  }

  append(step, value, attempt) {
    // A replayed step (after a rollback) replaces the tail from that step on.
    while (this.raw.steps.length && this.raw.steps[this.raw.steps.length - 1] >= step) {
      this.raw.steps.pop();
      this.raw.values.pop();
    }
    this.raw.steps.push(step);
    this.raw.values.push(value);
    this.pending = true;
  }

  flush() {
    if (!this.pending) return;
    this.pending = false;
    this.redraw();
  }

  addAnomaly(anomaly) {
    this.anomalies.push(anomaly);
    this.redraw();
  }

  setChangePoints(points) {
    this.changePoints = points;
    this.chart.canvas.dataset.changePoints = points.map((point) => point.step).join(',');
    this.chart.update('none');
  }

  addAction(action) {
    this.actions.push(action);
    this.chart.update('none');
  }

  setSmoothing(weight) {
    this.smoothing = weight;
    this.redraw();
  }

  setLogScale(on) {
    this.chart.options.scales.y.type = on ? 'logarithmic' : 'linear';
    this.redraw();
  }

  /** Exponential moving average, as TensorBoard smooths; non-finite values break the line. */
  smoothed() {
    const points = [];
    let average = null;
    for (let i = 0; i < this.raw.steps.length; i++) {
      const value = this.raw.values[i];
      if (!Number.isFinite(value)) {
        points.push({ x: this.raw.steps[i], y: null, value });
        average = null;
        continue;
      }
      average = average === null || this.smoothing === 0 ? value : average * this.smoothing + value * (1 - this.smoothing);
      points.push({ x: this.raw.steps[i], y: average, value });
    }
    return points;
  }

  redraw() {
    const logarithmic = this.chart.options.scales.y.type === 'logarithmic';
    const usable = (point) => point.y === null || !logarithmic || point.y > 0;
    this.chart.data.datasets[0].data = this.smoothed().filter(usable);
    this.chart.data.datasets[1].data = this.superseded.steps
      .map((step, i) => ({ x: step, y: Number.isFinite(this.superseded.values[i]) ? this.superseded.values[i] : null }))
      .filter(usable);
    // A constant series (a fixed learning rate) gets a range around its value, not [v - 1, v + 1].
    const finite = this.raw.values.filter(Number.isFinite);
    const low = Math.min(...finite);
    const high = Math.max(...finite);
    const flat = finite.length && high - low <= 1e-9 * Math.max(Math.abs(high), 1e-300);
    this.chart.options.scales.y.suggestedMin = flat && !logarithmic ? low - Math.abs(low) * 0.5 : undefined;
    this.chart.options.scales.y.suggestedMax = flat && !logarithmic ? high + Math.abs(high) * 0.5 : undefined;
    this.chart.data.datasets[2].data = this.anomalies
      .filter((a) => Number.isFinite(num(a.value)))
      .map((a) => ({ x: a.step, y: num(a.value), message: a.message }))
      .filter(usable);
    this.chart.update('none');
    const last = this.raw.values.length ? this.raw.values[this.raw.values.length - 1] : null;
    if (this.options.label) this.options.label.textContent = last === null ? '' : 'last ' + formatNumber(last);
    this.chart.canvas.dataset.points = String(this.chart.data.datasets[0].data.length);
    // When the first points were on screen, from the page's start (read by the benchmark).
    if (this.raw.steps.length && !this.chart.canvas.dataset.drawnMs) {
      this.chart.canvas.dataset.drawnMs = String(Math.round(performance.now()));
    }
    this.chart.canvas.dataset.nonFinite = String(this.raw.values.filter((v) => !Number.isFinite(v)).length);
  }

  destroy() {
    this.chart.destroy();
  }
}

/** Validation batches: a cell per batch and step coloured by a batch metric; a click lists the
 * samples (image paths) the batch held at that step. */
async function batchHeatMap(container, samplesBox, runID) {
  const { batches } = await rpc.call('run.batches', { run: runID });
  if (!batches.length) {
    container.append(element('p', { className: 'muted' }, 'No validation batches logged.'));
    return;
  }
  const metricNames = [...new Set(batches.flatMap((b) => Object.keys(b.metrics)))];
  const select = element('select', {}, metricNames.map((m) => element('option', { value: m }, m)));
  const canvas = element('canvas');
  const note = element('span', { className: 'legend-note' });
  container.append(element('div', { className: 'filters' }, element('label', {}, 'batch metric '), select, note), canvas);
  const steps = [...new Set(batches.map((b) => b.step))].sort((a, b) => a - b);
  const indexes = [...new Set(batches.map((b) => b.batch))].sort((a, b) => a - b);
  const cell = { w: Math.max(3, Math.min(18, Math.floor(1100 / steps.length))), h: Math.max(6, Math.min(16, Math.floor(320 / indexes.length))) };
  const left = 40;
  canvas.width = left + steps.length * cell.w;
  canvas.height = indexes.length * cell.h + 20;
  const byPlace = new Map(batches.map((b) => [b.step + ':' + b.batch, b]));
  function draw() {
    const metric = select.value;
    const values = batches.map((b) => num(b.metrics[metric])).filter(Number.isFinite);
    const low = Math.min(...values);
    const high = Math.max(...values);
    const context = canvas.getContext('2d');
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.font = '10px system-ui';
    context.fillStyle = '#667085';
    indexes.forEach((batch, row) => { if (row % Math.ceil(12 / cell.h) === 0) context.fillText(String(batch), 2, row * cell.h + cell.h - 1); });
    steps.forEach((step, column) => {
      indexes.forEach((batch, row) => {
        const record = byPlace.get(step + ':' + batch);
        if (!record) return;
        const value = num(record.metrics[metric]);
        const share = high > low && Number.isFinite(value) ? (value - low) / (high - low) : 0.5;
        context.fillStyle = Number.isFinite(value) ? 'hsl(' + Math.round(share * 120) + ', 65%, 48%)' : '#c92a2a';
        context.fillRect(left + column * cell.w, row * cell.h, cell.w - 1, cell.h - 1);
      });
    });
    context.fillStyle = '#667085';
    context.fillText('step ' + steps[0], left, canvas.height - 4);
    context.fillText('step ' + steps[steps.length - 1], Math.max(left + 60, canvas.width - 70), canvas.height - 4);
    note.textContent = 'red = low, green = high (' + formatNumber(low) + ' … ' + formatNumber(high) + '); rows are batches; click a cell for its samples';
  }
  select.addEventListener('change', draw);
  canvas.addEventListener('click', (event) => {
    const column = Math.floor((event.offsetX - left) / cell.w);
    const row = Math.floor(event.offsetY / cell.h);
    const record = byPlace.get(steps[column] + ':' + indexes[row]);
    if (!record) return;
    samplesBox.hidden = false;
    samplesBox.textContent = 'step ' + record.step + ', batch ' + record.batch + ' (' + Object.entries(record.metrics)
      .map(([k, v]) => k + ' ' + formatNumber(v)).join(', ') + ')\n' + (record.samples.join('\n') || '(no samples logged)');
    samplesBox.append(element('div', { className: 'sample-images' },
      record.samples.slice(0, 48).map((path) => element('figure', {}, image(path), element('figcaption', {}, path)))));
  });
  draw();
}

// Alerts: every run's anomalies and actions as they are stored, newest first.
function alertsPage(main) {
  unseenAlerts = 0;
  showAlertCount();
  main.append(element('h1', {}, 'Alerts'));
  const list = element('ul', { className: 'feed', id: 'alerts' });
  main.append(list);
  function item(alert) {
    const severity = severityOf(alert);
    const anomalies = alert.anomalies || [];
    const action = alert.action;
    return element('li', { className: severity, 'data-run': alert.run.run_id, 'data-step': alert.step },
      element('div', {},
        element('span', { className: 'sev ' + severity }, severity), ' ',
        element('a', { href: '#/run/' + alert.run.run_id }, alert.run.name), ' ',
        element('span', { className: 'muted' }, alert.run.project + ' · step ' + alert.step)),
      anomalies.map((a) => element('div', {}, a.message || (a.type + ' on ' + a.metric))),
      action ? element('div', { className: 'advice' }, '→ ' + action.kind + (action.reason ? ': ' + action.reason : '')) : null);
  }
  function render() {
    list.replaceChildren(...alerts.map(item));
    if (!alerts.length) list.append(element('li', { className: 'muted' }, 'No alerts yet.'));
  }
  render();
  const off = rpc.on('store.alert', () => { unseenAlerts = 0; showAlertCount(); render(); });
  leavePage = off;
}

/** An image the store knows, served by the dashboard; a file it cannot show says so in place. */
function image(path) {
  const picture = element('img', { src: '/image?path=' + encodeURIComponent(path), alt: path, loading: 'lazy', title: path });
  picture.addEventListener('error', () => {
    picture.replaceWith(element('div', { className: 'missing', title: path }, 'cannot show this file'));
  });
  return picture;
}

// Audits: the store's audits, then one audit's findings as a gallery by issue, duplicate groups
// side by side.
async function auditPage(main, [idText]) {
  if (!idText) {
    main.append(element('h1', {}, 'Audits'));
    const { audits } = await rpc.call('audit.list', {});
    const table = element('table', { id: 'audits' }, element('tr', {},
      ['audit', 'folders', 'images', 'findings', 'when'].map((title) => element('th', {}, title))));
    for (const audit of audits) {
      table.append(element('tr', { 'data-audit': audit.audit_id },
        element('td', {}, element('a', { href: '#/audit/' + audit.audit_id }, '#' + audit.audit_id)),
        element('td', {}, audit.roots.join(', ') + (audit.dataset ? ' (' + audit.dataset + ')' : '')),
        element('td', { className: 'num' }, audit.images),
        element('td', {}, Object.entries(audit.counts).map(([issue, count]) => element('span', { className: 'tag' }, issue + ' ' + count))),
        element('td', {}, formatTime(audit.started_at))));
    }
    if (!audits.length) {
      table.append(element('tr', {}, element('td', { colspan: 5, className: 'muted' },
        'No audits yet: run `runclinic audit DIR` or audit.run on this store.')));
    }
    main.append(table);
    return;
  }
  const auditID = Number(idText);
  const { audits } = await rpc.call('audit.list', { limit: 1000 });
  const audit = audits.find((a) => a.audit_id === auditID);
  if (!audit) throw new Error('no audit ' + auditID);
  main.append(element('h1', {}, 'Audit #' + auditID),
    element('p', { className: 'muted' }, audit.roots.join(', ') + ' · ' + audit.images + ' images · ' + formatTime(audit.started_at)));
  const chips = element('div', { className: 'chips' });
  const body = element('div', { id: 'gallery' });
  main.append(chips, body);
  const issues = Object.entries(audit.counts).sort((a, b) => b[1] - a[1]);
  if (!issues.length) {
    body.append(element('p', { className: 'muted' }, 'No findings: every image passed.'));
    return;
  }
  async function show(issue) {
    for (const chip of chips.children) chip.classList.toggle('active', chip.dataset.issue === issue);
    const page = await rpc.call('audit.findings', { audit_id: auditID, issue, limit: 200 });
    body.replaceChildren(element('h2', {}, issue + ' (' + page.total + (page.total > page.findings.length ? ', first ' + page.findings.length : '') + ')'));
    const grouped = page.findings.filter((f) => f.group);
    if (grouped.length) {
      // Duplicates and near-duplicates: each group's images side by side.
      const groups = new Map();
      for (const finding of grouped) {
        if (!groups.has(finding.group)) groups.set(finding.group, []);
        groups.get(finding.group).push(finding);
      }
      for (const [first, members] of groups) {
        // A group is named by its first image, which carries no finding of its own.
        const shown = members.some((finding) => finding.path === first) ? members
          : [{ path: first, issue, severity: 'info', detail: 'the first of its group' }, ...members];
        body.append(element('div', { className: 'group' }, shown.map((finding) => figure(finding))));
      }
    }
    const single = page.findings.filter((f) => !f.group)
      .sort((a, b) => severityRank[b.severity] - severityRank[a.severity]);
    if (single.length) body.append(element('div', { className: 'gallery' }, single.map((finding) => figure(finding))));
  }
  function figure(finding) {
    const score = finding.score === null || finding.score === undefined ? '' : formatNumber(finding.score)
      + (finding.threshold === null || finding.threshold === undefined ? '' : ' (threshold ' + formatNumber(finding.threshold) + ')');
    return element('figure', { 'data-path': finding.path, 'data-issue': finding.issue },
      image(finding.path),
      element('figcaption', {},
        element('span', { className: 'sev ' + finding.severity }, finding.severity), ' ',
        element('span', { className: 'score' }, score),
        element('div', {}, finding.detail),
        element('div', { className: 'muted' }, finding.path)));
  }
  for (const [issue, count] of issues) {
    chips.append(element('button', { type: 'button', className: 'chip', 'data-issue': issue, onclick: () => show(issue) }, issue + ' ' + count));
  }
  await show(issues[0][0]);
}

const palette = ['#2f6fde', '#d9480f', '#2b8a3e', '#9c36b5', '#c98a00', '#0c8599', '#e64980', '#5c7cfa', '#868e96', '#66a80f'];

// Compare: the runs' curves overlaid on one metric, how each did, the config keys that differ,
// and runs grouped by their settings (seeds together).
async function comparePage(main) {
  const ids = (routeQuery.get('runs') || '').split(',').filter(Boolean).map(Number);
  main.append(element('h1', {}, 'Compare'));
  if (ids.length < 2) {
    main.append(element('p', { className: 'muted' }, 'Pick two runs or more on the Runs page, then "compare selected".'));
    return;
  }
  const infos = await Promise.all(ids.map((id) => rpc.call('run.get', { run: id })));
  const keys = [...new Set(infos.flatMap((info) => info.metric_keys))];
  const metric = element('select', { id: 'compare-metric' }, keys.map((key) => element('option', { value: key }, key)));
  if (routeQuery.get('metric')) metric.value = routeQuery.get('metric');
  main.append(element('div', { className: 'filters' }, element('label', {}, 'metric '), metric));
  const body = element('div', { id: 'comparison' });
  main.append(body);
  let chart = null;
  async function show() {
    const [comparison, ...series] = await Promise.all([
      rpc.call('compare.runs', { runs: ids, metric: metric.value }),
      ...ids.map((id, i) => infos[i].metric_keys.includes(metric.value)
        ? rpc.call('run.metrics', { run: id, keys: [metric.value], max_points: 1500 }) : Promise.resolve(null)),
    ]);
    if (chart) chart.destroy();
    const canvas = element('canvas', { id: 'overlay' });
    body.replaceChildren(element('div', { className: 'wide-chart' }, element('div', { className: 'chart-box' }, canvas)));
    chart = new Chart(canvas.getContext('2d'), {
      type: 'line',
      data: {
        datasets: series.map((reply, i) => {
          const data = reply ? reply.series[metric.value] : { steps: [], values: [] };
          return { label: infos[i].name, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
            borderWidth: 1.3, pointRadius: 0, parsing: false,
            data: data.steps.map((step, j) => ({ x: step, y: Number.isFinite(num(data.values[j])) ? num(data.values[j]) : null })) };
        }),
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { type: 'linear', title: { display: true, text: metric.value } } } },
    });
    canvas.dataset.series = String(chart.data.datasets.length);
    const table = element('table', { id: 'compare-runs' }, element('tr', {},
      ['run', 'best', 'at step', 'final', 'volatility', 'anomalies (high+critical)'].map((t) => element('th', {}, t))));
    for (const run of comparison.runs) {
      const best = comparison.best && comparison.best.runs.includes(run.run);
      table.append(element('tr', {},
        element('td', {}, element('a', { href: '#/run/' + run.run_id }, run.run), best ? ' ★' : ''),
        element('td', { className: 'num' }, formatNumber(run.best)),
        element('td', { className: 'num' }, run.best_step ?? ''),
        element('td', { className: 'num' }, formatNumber(run.final)),
        element('td', { className: 'num' }, formatNumber(run.volatility)),
        element('td', { className: 'num' }, (run.anomalies.high || 0) + (run.anomalies.critical || 0))));
    }
    body.append(element('h2', {}, 'How each did on ' + comparison.metric + ' (' + comparison.mode + ')'), table);
    body.append(element('h2', {}, 'Config differences'));
    if (comparison.config_diff.length) {
      const names = comparison.runs.map((run) => run.run);
      body.append(element('table', { id: 'config-diff' },
        element('tr', {}, element('th', {}, 'key'), names.map((name) => element('th', {}, name))),
        comparison.config_diff.map((difference) => element('tr', {}, element('td', {}, difference.key),
          names.map((name) => element('td', {}, difference.values[name] === undefined ? '—' : JSON.stringify(difference.values[name])))))));
    } else {
      body.append(element('p', { className: 'muted' }, 'The runs share one config.'));
    }
    if (comparison.groups && comparison.groups.length) {
      body.append(element('h2', {}, 'Runs grouped by their settings (seeds together)'));
      body.append(element('table', { id: 'seed-groups' },
        element('tr', {}, ['settings', 'runs', 'mean', '±'].map((t) => element('th', {}, t))),
        comparison.groups.map((group) => element('tr', {},
          element('td', {}, Object.entries(group.settings).map(([k, v]) => k + '=' + v).join(', ') || '(shared)'),
          element('td', {}, group.runs.join(', ')),
          element('td', { className: 'num' }, formatNumber(group.mean)),
          element('td', { className: 'num' }, formatNumber(group.deviation))))));
    }
    if (comparison.recommendations && comparison.recommendations.length) {
      body.append(element('h2', {}, 'What to do'), element('ul', {}, comparison.recommendations.map((line) => element('li', {}, line))));
    }
  }
  metric.addEventListener('change', show);
  await show();
}

// Hyperparameters: which settings go with a project's outcome, and one setting against it.
async function hparamsPage(main, [projectText]) {
  const { runs } = await rpc.call('run.list', { limit: 1000 });
  const projects = [...new Set(runs.map((run) => run.project))].sort();
  const project = element('select', { id: 'hparams-project' }, projects.map((name) => element('option', { value: name }, name)));
  if (projectText) project.value = decodeURIComponent(projectText);
  const metric = element('select', { id: 'hparams-metric' });
  const mode = element('select', { id: 'hparams-mode' }, ['max', 'min'].map((m) => element('option', { value: m }, m)));
  main.append(element('h1', {}, 'Hyperparameters'),
    element('div', { className: 'filters' }, element('label', {}, 'project '), project, element('label', {}, 'outcome '), metric, mode));
  const body = element('div', { id: 'impact' });
  main.append(body);
  if (!projects.length) {
    body.append(element('p', { className: 'muted' }, 'No runs yet.'));
    return;
  }
  const charts = [];
  async function fillMetrics() {
    const projectRuns = runs.filter((run) => run.project === project.value).slice(0, 50);
    const infos = await Promise.all(projectRuns.map((run) => rpc.call('run.get', { run: run.run_id })));
    const keys = [...new Set(infos.flatMap((info) => info.metric_keys))].sort();
    metric.replaceChildren(...keys.map((key) => element('option', { value: key }, key)));
    const preferred = keys.find((key) => /acc|f1|recall|precision|auc|map/i.test(key)) || keys.find((key) => /loss/i.test(key));
    if (preferred) metric.value = preferred;
    mode.value = /loss|error|perplexity/i.test(metric.value) ? 'min' : 'max';
  }
  async function show() {
    charts.splice(0).forEach((chart) => chart.destroy());
    body.replaceChildren();
    if (!metric.value) return;
    const projectRuns = runs.filter((run) => run.project === project.value);
    const [impact, comparison] = await Promise.all([
      rpc.call('compare.hyperparameters', { project: project.value, metric: metric.value, mode: mode.value, min_runs: 3 }),
      rpc.call('compare.runs', { runs: projectRuns.map((run) => run.run_id), metric: metric.value, mode: mode.value })
        .catch(() => null),
    ]);
    if (impact.message) body.append(element('p', { className: 'muted', id: 'impact-message' }, impact.message));
    if (impact.importance && impact.importance.length) {
      const canvas = element('canvas', { id: 'importance' });
      body.append(element('h2', {}, 'Importance (share of the outcome\'s variance)'),
        element('div', { className: 'wide-chart' }, element('div', { className: 'chart-box' }, canvas)));
      charts.push(new Chart(canvas.getContext('2d'), {
        type: 'bar',
        data: { labels: impact.importance.map((i) => i.key), datasets: [{ label: 'share', data: impact.importance.map((i) => num(i.share)), backgroundColor: '#2f6fde' }] },
        options: { animation: false, indexAxis: 'y', responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } },
      }));
    }
    if (impact.numeric.length) {
      body.append(element('h2', {}, 'Numeric settings'), element('table', { id: 'numeric' },
        element('tr', {}, ['setting', 'runs', 'Spearman r', 'p', 'Pearson r'].map((t) => element('th', {}, t))),
        impact.numeric.map((row) => element('tr', {}, element('td', {}, row.key), element('td', { className: 'num' }, row.runs),
          element('td', { className: 'num' }, row.spearman ? formatNumber(row.spearman.r) : ''),
          element('td', { className: 'num' }, row.spearman ? formatNumber(row.spearman.p) : ''),
          element('td', { className: 'num' }, row.pearson ? formatNumber(row.pearson.r) : '')))));
    }
    if (impact.categorical.length) {
      body.append(element('h2', {}, 'Categorical settings'), element('table', { id: 'categorical' },
        element('tr', {}, ['setting', 'η²', 'levels (mean best)'].map((t) => element('th', {}, t))),
        impact.categorical.map((row) => element('tr', {}, element('td', {}, row.key), element('td', { className: 'num' }, formatNumber(row.eta_squared)),
          element('td', {}, row.levels.map((level) => level.value + ': ' + formatNumber(level.mean_best) + ' (' + level.runs + ')').join(' · '))))));
    }
    // A setting against the outcome, a point per run: from the runs' configs and best values.
    if (comparison) {
      const best = new Map(comparison.runs.map((run) => [run.run_id, num(run.best)]));
      const settings = new Map();
      for (const run of projectRuns) {
        for (const [key, value] of Object.entries(flatten(run.config))) {
          if (typeof value === 'number' && Number.isFinite(best.get(run.run_id))) {
            if (!settings.has(key)) settings.set(key, []);
            settings.get(key).push({ x: value, y: best.get(run.run_id), run: run.name });
          }
        }
      }
      const varying = [...settings.entries()].filter(([, points]) => new Set(points.map((p) => p.x)).size > 1);
      if (varying.length) {
        const chooser = element('select', { id: 'scatter-setting' }, varying.map(([key]) => element('option', { value: key }, key)));
        const canvas = element('canvas', { id: 'scatter' });
        body.append(element('h2', {}, 'A setting against the outcome'),
          element('div', { className: 'filters' }, element('label', {}, 'setting '), chooser),
          element('div', { className: 'wide-chart' }, element('div', { className: 'chart-box' }, canvas)));
        const scatter = new Chart(canvas.getContext('2d'), {
          type: 'scatter',
          data: { datasets: [{ label: 'runs', data: [], backgroundColor: '#2f6fde', pointRadius: 4 }] },
          options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false },
            tooltip: { callbacks: { label: (context) => context.raw.run + ': ' + formatNumber(context.raw.x) + ' → ' + formatNumber(context.raw.y) } } },
            scales: { x: { type: 'linear', title: { display: true, text: '' } }, y: { title: { display: true, text: 'best ' + metric.value } } } },
        });
        charts.push(scatter);
        const draw = () => {
          const points = settings.get(chooser.value);
          const positive = points.every((p) => p.x > 0);
          const spread = positive ? Math.max(...points.map((p) => p.x)) / Math.min(...points.map((p) => p.x)) : 1;
          scatter.options.scales.x.type = spread > 100 ? 'logarithmic' : 'linear';
          scatter.options.scales.x.title.text = chooser.value;
          scatter.data.datasets[0].data = points;
          scatter.update('none');
          canvas.dataset.points = String(points.length);
        };
        chooser.addEventListener('change', draw);
        draw();
      }
    }
  }
  project.addEventListener('change', async () => { await fillMetrics(); await show(); });
  metric.addEventListener('change', () => { mode.value = /loss|error|perplexity/i.test(metric.value) ? 'min' : 'max'; show(); });
  mode.addEventListener('change', show);
  await fillMetrics();
  await show();
  leavePage = () => charts.forEach((chart) => chart.destroy());
}

// A run's analysis: the key finding, root causes with their evidence, what to do, change points.
async function analysisPage(main, [idText]) {
  const runID = Number(idText);
  const info = await rpc.call('run.get', { run: runID });
  main.append(element('h1', {}, 'Analysis of ', element('a', { href: '#/run/' + runID }, info.name)));
  const waiting = element('p', { className: 'muted' }, 'Analysing…');
  main.append(waiting);
  const analysis = await rpc.call('analyze.run', { run: runID });
  waiting.remove();
  main.append(element('div', { className: 'finding', id: 'key-finding' }, analysis.key_finding));
  const summary = analysis.summary || {};
  if (summary.recommendations && summary.recommendations.length) {
    main.append(element('h2', {}, 'What to do'), element('ul', { id: 'recommendations' }, summary.recommendations.map((line) => element('li', {}, line))));
  }
  main.append(element('h2', {}, 'Root causes'));
  const causes = element('div', { id: 'root-causes' });
  for (const explanation of analysis.root_causes) {
    const incident = explanation.incident;
    causes.append(element('div', { className: 'cause' },
      element('h3', {}, incident.description),
      explanation.hypotheses.map((hypothesis) => element('div', {},
        element('strong', {}, hypothesis.cause), ' ', element('span', { className: 'confidence' }, 'confidence ' + formatNumber(hypothesis.confidence)),
        hypothesis.defect ? ' · ' + hypothesis.defect : '',
        element('ul', {}, (hypothesis.evidence || []).map((line) => element('li', {}, line)))))));
  }
  if (!analysis.root_causes.length) causes.append(element('p', { className: 'muted' }, 'No incident to explain.'));
  main.append(causes);
  if (analysis.change_points.length) {
    main.append(element('h2', {}, 'Change points'), element('table', { id: 'change-points' },
      element('tr', {}, ['metric', 'step', 'before', 'after'].map((t) => element('th', {}, t))),
      analysis.change_points.map((point) => element('tr', {}, element('td', {}, point.metric), element('td', { className: 'num' }, point.step),
        element('td', { className: 'num' }, formatNumber(point.before)), element('td', { className: 'num' }, formatNumber(point.after))))));
  }
  const performance = summary.performance_metrics || {};
  if (Object.keys(performance).length) {
    main.append(element('h2', {}, 'Performance'), element('dl', { className: 'config' },
      Object.entries(performance).flatMap(([key, value]) => [element('dt', {}, key), element('dd', {}, formatNumber(value))])));
  }
}
