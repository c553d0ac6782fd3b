// The marketers' dashboard (/dashboard): a login with an admin key that sets a signed session
// cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS; the key never goes in a URL), the page,
// its script and Chart.js served from this app (no CDN: it works offline), and one JSON of
// everything the page shows, from the same code as the analytics API.
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { Router, type RequestHandler } from 'express';
import type pg from 'pg';
import { funnel } from '../analytics/funnel';
import { campaignAnalytics, channelAnalytics, journeyAnalytics } from '../analytics/report';
import { unitEconomics } from '../analytics/unit-economics';
import { journeyAnalyticsOptions, periodOf } from '../api/analytics/router';
import type { Config } from '../config';
import type { KeyStore } from '../keys/store';
import { readSignedToken, signToken } from '../messaging/signed-token';
import { dashboardPage, loginPage } from './pages';

const COOKIE = 'crm_dashboard';
const PURPOSE = 'dashboard-session';
const SESSION_MS = 12 * 3_600_000;
// chart.js's main entry is dist/chart.cjs; its browser build sits beside it.
const CHART_JS = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
const ASSETS = path.join(__dirname, 'assets');

/** RFM grid cells: customers and revenue per (R, FM) as DESIGN.md's grid reads them. */
const RFM_GRID_SQL = `
  SELECT r, (f + m + 1) / 2 AS fm, count(*)::int AS customers, COALESCE(sum(revenue), 0)::text AS revenue
  FROM "CustomerRfm" GROUP BY 1, 2 ORDER BY 1 DESC, 2`;

export function dashboardRouter({ pool, config, keys, unsubscribeSecret, clock = () => new Date() }: { pool: pg.Pool; config: Config; keys: KeyStore; unsubscribeSecret: string; clock?: () => Date }): Router {
  const router = Router();
  const secret = `${unsubscribeSecret}:dashboard`;
  router.use('/dashboard', cookieParser());

  // A session lasts SESSION_MS and ends sooner when the key it began with is revoked.
  const signedIn = async (token: unknown) => {
    const session = typeof token === 'string' ? readSignedToken(secret, token, PURPOSE) : null;
    return session !== null && typeof session.exp === 'number' && session.exp > clock().getTime() && typeof session.key === 'string' && (await keys.isActive(session.key));
  };
  const requireSession: RequestHandler = async (req, res, next) => {
    if (await signedIn((req.cookies as Record<string, unknown>)[COOKIE])) return next();
    if (req.path.startsWith('/dashboard/data')) return void res.status(401).json({ error: { code: 'unauthorized', message: 'sign in at /dashboard/login' } });
    res.redirect(303, '/dashboard/login');
  };

  router.get('/dashboard/login', (_req, res) => {
    res.type('html').send(loginPage());
  });
  router.post('/dashboard/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const key = typeof (req.body as Record<string, unknown>)?.key === 'string' ? ((req.body as Record<string, string>).key ?? '') : '';
    const identity = key ? await keys.identify(key) : null;
    if (identity?.scope !== 'admin') {
      res.status(401).type('html').send(loginPage('That key is not an admin key of this installation.'));
      return;
    }
    const token = signToken(secret, { exp: clock().getTime() + SESSION_MS, key: identity.id }, PURPOSE);
    res.cookie(COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/dashboard', maxAge: SESSION_MS });
    res.redirect(303, '/dashboard');
  });
  router.post('/dashboard/logout', (_req, res) => {
    res.clearCookie(COOKIE, { path: '/dashboard' });
    res.redirect(303, '/dashboard/login');
  });

  router.get('/dashboard/assets/chart.umd.min.js', requireSession, (_req, res) => res.sendFile(CHART_JS));
  router.use('/dashboard/assets', requireSession, express.static(ASSETS, { index: false }));
  router.get('/dashboard', requireSession, (_req, res) => {
    res.type('html').send(dashboardPage());
  });

  const currency = config.messaging.costCurrency;
  const journeyOptions = journeyAnalyticsOptions(config);
  const temporalUi = `http://localhost:${config.temporal.uiPort}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows`;
  router.get('/dashboard/data', requireSession, async (req, res) => {
    const period = periodOf(req.query, clock());
    const [journeys, campaigns, channels, funnelReport, economics, grid] = await Promise.all([
      journeyAnalytics(pool, period, currency, journeyOptions),
      campaignAnalytics(pool, period, currency),
      channelAnalytics(pool, period, currency),
      funnel(pool, period, currency),
      unitEconomics(pool, period, currency, config.analytics.marginRate),
      pool.query<{ r: number; fm: number; customers: number; revenue: string }>(RFM_GRID_SQL),
    ]);
    res.json({
      from: period.from,
      to: period.to,
      currency,
      journeys: journeys.map((row) => ({ ...row, temporalUi: `${temporalUi}?query=${encodeURIComponent(`Journey="${row.journey}"`)}` })),
      campaigns,
      channels,
      funnel: funnelReport,
      unitEconomics: economics,
      rfmGrid: grid.rows,
    });
  });

  return router;
}
