// The dashboard's two pages. The dashboard page is a shell: dashboard.js fetches
// /dashboard/data (with the session cookie) and fills it in.

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f5f6f8; }
  header { background: #1d2430; color: #fff; padding: 12px 24px; display: flex; align-items: center; gap: 24px; }
  header h1 { font-size: 18px; margin: 0; flex: 1; }
  header form { display: inline; }
  main { padding: 16px 24px; display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
  section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #e6e8eb; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  .band { font-size: 22px; font-weight: 600; }
  .band.failing { color: #b42318; } .band.weak { color: #b54708; } .band.healthy { color: #027a48; } .band.under-investing { color: #175cd3; }
  .muted { color: #667085; }
  .heat td { text-align: center; width: 18%; }
  .error { color: #b42318; }
  input, button { font: inherit; padding: 4px 8px; }
`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crm-journeys — sign in</title><style>${STYLE}
  .login { max-width: 380px; margin: 12vh auto; }</style></head>
<body><section class="login">
  <h2>crm-journeys dashboard</h2>
  <p class="muted">Sign in with an admin API key. It is sent once, in this form, and never put in a URL.</p>
  ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/dashboard/login">
    <label>API key <input type="password" name="key" autocomplete="current-password" required autofocus></label>
    <button type="submit">Sign in</button>
  </form>
</section></body></html>`;
}

export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crm-journeys — dashboard</title><style>${STYLE}</style>
<script src="/dashboard/assets/chart.umd.min.js"></script><script src="/dashboard/assets/dashboard.js" defer></script></head>
<body>
<header>
  <h1>crm-journeys</h1>
  <form id="period"><label>From <input type="date" name="from"></label> <label>to <input type="date" name="to"></label> <button type="submit">Show</button></form>
  <form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form>
</header>
<main>
  <section class="wide"><h2>Journeys</h2><table id="journeys"></table></section>
  <section class="wide"><h2>Campaigns</h2><table id="campaigns"></table></section>
  <section><h2>Funnel</h2><canvas id="funnel" height="220"></canvas><table id="funnel-table"></table></section>
  <section><h2>LTV / CAC</h2><div id="ltv-cac"></div><h2 style="margin-top:12px">Acquisition spend and CAC by channel</h2><table id="acquisition"></table><canvas id="cac" height="140"></canvas></section>
  <section><h2>RFM grid (customers, revenue)</h2><table id="rfm" class="heat"></table></section>
  <section><h2>Channels</h2><table id="channels"></table></section>
</main>
</body></html>`;
}
