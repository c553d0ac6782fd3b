// The dashboard page's script (served as is, no build): fetches /dashboard/data for the chosen
// period and fills in the tables and charts. Numbers are shown as the API gives them.
/* global Chart */
(function () {
  'use strict';
  const number = (n) => Number(n).toLocaleString('en-US', { maximumFractionDigits: 0 });
  const money = (m) => (m ? `${number(m.amount)} ${m.currency}` : '—');
  const percent = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
  const roas = (p) => (p === null || p === undefined ? '—' : `${number(p)}%`);
  const text = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const lift = (l) => {
    if (!l || l.absoluteLift === null) return '—';
    const [low, high] = l.confidenceInterval;
    return `${(l.absoluteLift * 100).toFixed(1)} pt [${(low * 100).toFixed(1)}, ${(high * 100).toFixed(1)}]${l.significant ? ' ✓' : ''}`;
  };
  const table = (id, head, rows) => {
    document.getElementById(id).innerHTML =
      `<thead><tr>${head.map((h) => `<th>${text(h)}</th>`).join('')}</tr></thead>` +
      `<tbody>${rows.length ? rows.map((cells) => `<tr>${cells.join('')}</tr>`).join('') : `<tr><td class="muted" colspan="${head.length}">Nothing in this period</td></tr>`}</tbody>`;
  };
  const cell = (value, key) => `<td${key ? ` data-cell="${text(key)}"` : ''}>${value}</td>`;
  const charts = {};
  const chart = (id, config) => {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(document.getElementById(id), config);
  };

  function render(data) {
    table('journeys', ['Journey', 'Recipients', 'Sent', 'Converted', 'Rate', 'Revenue', 'Cost', 'ROAS', 'Lift (95% CI)'],
      data.journeys.map((j) => [
        `<td><a href="${text(j.temporalUi)}" target="_blank" rel="noopener">${text(j.journey)}</a></td>`,
        cell(number(j.recipients)), cell(number(j.sent)), cell(number(j.converted)), cell(percent(j.conversionRate)),
        cell(money(j.revenue), `revenue:${j.journey}`), cell(money(j.cost.total)), cell(roas(j.roasPercent), `roas:${j.journey}`), cell(lift(j.lift)),
      ]));
    table('campaigns', ['Campaign', 'Recipients', 'Sent', 'Converted', 'Revenue', 'Messages', 'Coupons', 'ROAS', 'Lift (95% CI)'],
      data.campaigns.map((c) => [
        `<td>${text(c.name)} <span class="muted">${text(c.campaign)}</span></td>`,
        cell(number(c.recipients)), cell(number(c.sent)), cell(number(c.converted)), cell(money(c.revenue), `revenue:${c.campaign}`),
        cell(money(c.cost.messages)), cell(money(c.cost.coupons)), cell(roas(c.roasPercent), `roas:${c.campaign}`), cell(lift(c.lift)),
      ]));
    table('channels', ['Channel', 'Sent', 'Converted', 'Revenue', 'Cost', 'ROAS'],
      data.channels.map((c) => [cell(text(c.channel)), cell(number(c.sent)), cell(number(c.converted)), cell(money(c.revenue)), cell(money(c.cost.total)), cell(roas(c.roasPercent), `roas:${c.channel}`)]));

    const stages = data.funnel.stages;
    chart('funnel', {
      type: 'bar',
      data: { labels: stages.map((s) => s.stage), datasets: [{ label: 'people', data: stages.map((s) => s.people), backgroundColor: '#175cd3' }] },
      options: { animation: false, plugins: { legend: { display: false } } },
    });
    table('funnel-table', ['Stage', 'People', 'Drop-off', 'Answered by', 'Its rate'],
      stages.map((s) => [cell(text(s.stage)), cell(number(s.people), `people:${s.stage}`), cell(percent(s.dropOff)), cell(text(s.journey)), cell(percent(s.journeyConversionRate))]));

    const u = data.unitEconomics;
    document.getElementById('ltv-cac').innerHTML =
      `<div class="band ${text(u.band || '')}" data-cell="ltv-cac">${u.ltvToCac === null ? '—' : text(u.ltvToCac)} ${u.band ? `(${text(u.band)})` : ''}</div>` +
      `<p>${text(u.explanation)}</p><p class="muted">LTV ${money(u.ltv)} · CAC ${money(u.cac)} · ${number(u.acquired)} customers acquired · margin ${text(u.marginRate)}</p>`;
    table('acquisition', ['Channel', 'Spend', 'Acquired', 'CAC'],
      u.byChannel.map((c) => [cell(text(c.channel)), cell(money(c.spend)), cell(number(c.acquired)), cell(money(c.cac), `cac:${c.channel}`)]));
    chart('cac', {
      type: 'bar',
      data: { labels: u.byChannel.map((c) => c.channel), datasets: [{ label: `CAC (${u.currency})`, data: u.byChannel.map((c) => (c.cac ? Number(c.cac.amount) : 0)), backgroundColor: '#027a48' }] },
      options: { animation: false, indexAxis: 'y', plugins: { legend: { display: false } } },
    });

    const most = Math.max(1, ...data.rfmGrid.map((c) => c.customers));
    const at = (r, fm) => data.rfmGrid.find((c) => c.r === r && c.fm === fm);
    const rows = [5, 4, 3, 2, 1].map((r) => [
      `<th>R ${r}</th>`,
      ...[1, 2, 3, 4, 5].map((fm) => {
        const c = at(r, fm);
        const shade = c ? 0.1 + 0.8 * (c.customers / most) : 0;
        return `<td data-cell="rfm:${r}:${fm}" style="background: rgba(23, 92, 211, ${shade.toFixed(2)}); color: ${shade > 0.5 ? '#fff' : 'inherit'}">${c ? `${number(c.customers)}<br><small>${number(c.revenue)} ${text(data.currency)}</small>` : '<span class="muted">0</span>'}</td>`;
      }),
    ]);
    table('rfm', ['', 'FM 1', 'FM 2', 'FM 3', 'FM 4', 'FM 5'], rows);
  }

  let latest = 0;
  async function load() {
    const form = document.getElementById('period');
    const asked = { from: form.from.value, to: form.to.value };
    const params = new URLSearchParams();
    if (asked.from) params.set('from', asked.from);
    if (asked.to) params.set('to', asked.to);
    const request = ++latest;
    const response = await fetch(`/dashboard/data?${params}`, { credentials: 'same-origin' });
    if (response.status === 401) return void (location.href = '/dashboard/login');
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
    // A slower, earlier load must not paint over a later one.
    if (request !== latest) return;
    // Fill in the period it answered for, unless the marketer has typed another meanwhile.
    if (form.from.value === asked.from) form.from.value = data.from.slice(0, 10);
    if (form.to.value === asked.to) form.to.value = data.to.slice(0, 10);
    render(data);
    document.body.dataset.loaded = 'true';
  }

  document.getElementById('period').addEventListener('submit', (event) => {
    event.preventDefault();
    load().catch((error) => alert(error.message));
  });
  const initial = new URLSearchParams(location.search);
  const form = document.getElementById('period');
  if (initial.get('from')) form.from.value = initial.get('from');
  if (initial.get('to')) form.to.value = initial.get('to');
  load().catch((error) => alert(error.message));
})();
