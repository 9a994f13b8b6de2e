// The review page: plain ES module, no bundler. Talks to the review server's /api (see server/server.ts).
const state = {
  worklist: null,
  selected: 0,
  study: null,
  pixels: null,
  heatmap: null,
  finding: 0,
  heatOn: -1,
  zoom: 1,
};
const $ = (id) => document.getElementById(id);

// A token given as #token=... is kept for this tab and removed from the address bar.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) {
  sessionStorage.setItem('cxr-token', fromHash);
  history.replaceState(null, '', location.pathname + location.search);
}
const token = sessionStorage.getItem('cxr-token');

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`api/${path}`, { ...init, headers });
  if (!res.ok) {
    let message = `${res.status}`;
    try {
      message = (await res.json()).error || message;
    } catch {}
    throw new Error(message);
  }
  return res;
}

function status(text) {
  $('status').textContent = text;
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function loadWorklist() {
  state.worklist = await (await api('worklist')).json();
  $('source').textContent = `(${state.worklist.studies.length} studies, ${state.worklist.source})`;
  renderWorklist();
}

function renderWorklist() {
  const body = $('worklist').tBodies[0];
  body.replaceChildren();
  state.worklist.studies.forEach((s, i) => {
    const tr = document.createElement('tr');
    tr.dataset.id = s.id;
    tr.tabIndex = i === state.selected ? 0 : -1;
    if (i === state.selected) tr.classList.add('selected');
    tr.append(
      cell(String(i + 1)),
      cell(s.id),
      cell(s.patientId ?? ''),
      cell(s.priority.toFixed(3)),
      cell(s.flags.join(', ') || '—'),
      cell(s.top.map((t) => `${t.label} ${t.p.toFixed(2)}`).join(', ')),
      cell(s.reviewed ? `${s.reviewed}/14` : ''),
    );
    tr.addEventListener('click', () => openStudy(i));
    body.append(tr);
  });
}

function selectRow(i) {
  const n = state.worklist.studies.length;
  state.selected = Math.max(0, Math.min(n - 1, i));
  renderWorklist();
  $('worklist').tBodies[0].rows[state.selected]?.focus();
}

async function openStudy(i) {
  state.selected = i;
  const id = state.worklist.studies[i].id;
  const study = await (await api(`studies/${encodeURIComponent(id)}`)).json();
  state.study = study;
  state.heatOn = -1;
  state.finding = 0;
  state.heatmap = study.hasHeatmap ? await (await api(`studies/${encodeURIComponent(id)}/heatmap`)).json() : null;
  const res = await api(`studies/${encodeURIComponent(id)}/pixels`);
  const h = (k) => Number(res.headers.get(k));
  state.pixels = {
    width: h('x-width'),
    height: h('x-height'),
    min: h('x-min'),
    max: h('x-max'),
    data: new Uint16Array(await res.arrayBuffer()),
    wc: h('x-window-center'),
    ww: h('x-window-width'),
  };
  resetWindow();
  $('worklist-view').hidden = true;
  $('study-view').hidden = false;
  $('study-title').textContent =
    `Study ${study.id}${study.patientId ? ` · patient ${study.patientId}` : ''}${study.dicom ? ' · DICOM' : ''}`;
  renderFindings();
  draw();
  $('findings').tBodies[0].rows[0]?.focus();
}

function resetWindow() {
  const p = state.pixels;
  const span = p.max - p.min || 1;
  $('wc').value = String((p.wc - p.min) / span);
  $('ww').value = String(Math.max(0.001, Math.min(1, p.ww / span)));
}

function draw() {
  const p = state.pixels;
  const canvas = $('image');
  canvas.width = p.width;
  canvas.height = p.height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(p.width, p.height);
  const c = Number($('wc').value) * 65535;
  const w = Math.max(1, Number($('ww').value) * 65535);
  const lo = c - w / 2;
  for (let i = 0; i < p.data.length; i++) {
    const v = Math.max(0, Math.min(255, ((p.data[i] - lo) / w) * 255));
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const size = `${Math.round(Math.min(512, 512 * (p.width / p.height)) * state.zoom)}px`;
  canvas.style.width = size;
  drawHeat(size);
}

function heatColour(v) {
  const f = (x) => Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - x))) * 255;
  return [f(3), f(2), f(1)];
}

function drawHeat(size) {
  const heat = $('heat');
  const on = state.heatOn >= 0 && state.heatmap;
  $('heatmap-state').textContent = on ? `heatmap: ${state.study.labels[state.heatOn]}` : 'heatmap off';
  if (!on) {
    heat.hidden = true;
    return;
  }
  const { h, w, maps, region } = state.heatmap;
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d');
  const img = sctx.createImageData(w, h);
  const map = maps[state.heatOn];
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = heatColour(map[i]);
    img.data.set([r, g, b, Math.round(255 * Math.min(1, map[i] * 1.4))], i * 4);
  }
  sctx.putImageData(img, 0, 0);
  const p = state.pixels;
  heat.width = p.width;
  heat.height = p.height;
  const ctx = heat.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, p.width, p.height);
  // the map covers the model's input: the centre crop of the resized image
  const [x0, y0, x1, y1] = region || [0, 0, 1, 1];
  ctx.drawImage(small, x0 * p.width, y0 * p.height, (x1 - x0) * p.width, (y1 - y0) * p.height);
  heat.style.width = size;
  heat.hidden = false;
}

function renderFindings() {
  const s = state.study;
  const body = $('findings').tBodies[0];
  body.replaceChildren();
  s.labels.forEach((label, k) => {
    const p = s.probabilities[k];
    const t = s.thresholds[k];
    const review = s.reviews[label];
    const tr = document.createElement('tr');
    tr.tabIndex = k === state.finding ? 0 : -1;
    tr.dataset.finding = label;
    if (p >= t) tr.classList.add('flagged');
    if (k === state.finding) tr.classList.add('selected');
    const truth = s.truth ? (s.truth.includes(label) ? ' (labelled)' : '') : '';
    const heatButton = document.createElement('button');
    heatButton.type = 'button';
    heatButton.className = `heat-toggle${state.heatOn === k ? ' on' : ''}`;
    heatButton.textContent = state.heatOn === k ? 'hide' : 'show';
    heatButton.disabled = !state.heatmap;
    heatButton.setAttribute('aria-pressed', String(state.heatOn === k));
    heatButton.addEventListener('click', () => toggleHeat(k));
    const reviewCell = document.createElement('td');
    for (const verdict of ['agree', 'disagree']) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `verdict ${verdict}${review?.verdict === verdict ? ' on' : ''}`;
      b.textContent = verdict;
      b.setAttribute('aria-pressed', String(review?.verdict === verdict));
      b.addEventListener('click', () => saveReview(k, verdict));
      reviewCell.append(b);
    }
    if (review) {
      const mark = document.createElement('span');
      mark.className = `verdict-${review.verdict}`;
      mark.textContent = ` ✓ ${review.verdict}`;
      reviewCell.append(mark);
    }
    const noteCell = document.createElement('td');
    const note = document.createElement('input');
    note.className = 'note';
    note.maxLength = 2000;
    note.value = review?.note ?? '';
    note.setAttribute('aria-label', `note on ${label}`);
    note.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Enter') saveReview(k, state.study.reviews[label]?.verdict ?? 'agree', note.value);
      if (e.key === 'Escape') note.blur();
    });
    noteCell.append(note);
    const heatCell = document.createElement('td');
    heatCell.append(heatButton);
    tr.append(cell(label + truth), cell(p.toFixed(3), 'p'), cell(t.toFixed(3)), heatCell, reviewCell, noteCell);
    tr.addEventListener('click', () => {
      state.finding = k;
      markFinding();
    });
    body.append(tr);
  });
}

function markFinding() {
  [...$('findings').tBodies[0].rows].forEach((tr, k) => {
    tr.classList.toggle('selected', k === state.finding);
    tr.tabIndex = k === state.finding ? 0 : -1;
  });
}

function toggleHeat(k) {
  state.heatOn = state.heatOn === k ? -1 : k;
  state.finding = k;
  renderFindings();
  draw();
}

async function saveReview(k, verdict, noteText) {
  const label = state.study.labels[k];
  const row = $('findings').tBodies[0].rows[k];
  const note = noteText ?? row.querySelector('input.note').value;
  try {
    const res = await api(`studies/${encodeURIComponent(state.study.id)}/reviews/${encodeURIComponent(label)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verdict, note }),
    });
    state.study.reviews[label] = await res.json();
    state.finding = k;
    renderFindings();
    $('findings').tBodies[0].rows[k]?.focus();
    status(`saved: ${label} ${verdict}`);
  } catch (e) {
    status(`not saved: ${e.message}`);
  }
}

function backToWorklist() {
  $('study-view').hidden = true;
  $('worklist-view').hidden = false;
  loadWorklist().then(() => selectRow(state.selected));
}

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement && e.target.type !== 'range') return;
  if (!$('worklist-view').hidden && state.worklist) {
    if (e.key === 'ArrowDown' || e.key === 'j') selectRow(state.selected + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') selectRow(state.selected - 1);
    else if (e.key === 'Enter') openStudy(state.selected);
    else return;
    e.preventDefault();
    return;
  }
  if (!$('study-view').hidden && state.study) {
    const n = state.study.labels.length;
    if (e.key === 'Escape') backToWorklist();
    else if (e.key === 'ArrowDown') state.finding = Math.min(n - 1, state.finding + 1);
    else if (e.key === 'ArrowUp') state.finding = Math.max(0, state.finding - 1);
    else if (e.key === 'h') return toggleHeat(state.finding);
    else if (e.key === 'a') return saveReview(state.finding, 'agree');
    else if (e.key === 'd') return saveReview(state.finding, 'disagree');
    else if (e.key === 'n') {
      e.preventDefault();
      return $('findings').tBodies[0].rows[state.finding].querySelector('input.note').focus();
    } else if (e.key === '+' || e.key === '=') {
      state.zoom = Math.min(4, state.zoom + 0.25);
      $('zoom').value = String(state.zoom);
      draw();
    } else if (e.key === '-') {
      state.zoom = Math.max(1, state.zoom - 0.25);
      $('zoom').value = String(state.zoom);
      draw();
    } else return;
    e.preventDefault();
    markFinding();
    $('findings').tBodies[0].rows[state.finding]?.focus();
  }
});

$('back').addEventListener('click', backToWorklist);
$('zoom').addEventListener('input', () => {
  state.zoom = Number($('zoom').value);
  draw();
});
$('wc').addEventListener('input', draw);
$('ww').addEventListener('input', draw);
$('wl-reset').addEventListener('click', () => {
  resetWindow();
  draw();
});
$('export').addEventListener('click', async (e) => {
  if (!token) return;
  // with a token the CSV needs the header: fetch it and hand the browser a blob
  e.preventDefault();
  const blob = await (await api('reviews.csv')).blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'reviews.csv';
  a.click();
});

loadWorklist().catch((e) => {
  $('source').textContent = `cannot load the worklist: ${e.message}`;
});
