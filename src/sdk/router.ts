// GET /sdk.js: the browser snippet (src/sdk/browser/), cached by browsers for a day and
// revalidated by its content hash (ETag). GET /demo/shop (not in production): a small shop page
// that uses it, to click through the signup nudge right after `npm start`.
import { Router } from 'express';
import type { Config } from '../config';
import { snippetBundle } from './bundle';
import { demoShopPage } from './demo-page';

export function sdkRouter({ config, demoIngestKey }: { config: Config; demoIngestKey?: string }): Router {
  const router = Router();
  router.get('/sdk.js', async (req, res) => {
    const { code, etag } = await snippetBundle();
    res.set({
      ETag: etag,
      'Cache-Control': 'public, max-age=86400, stale-while-revalidate=604800',
      // Loaded by the shop's pages, on another origin (helmet's default is same-origin).
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (req.get('if-none-match') === etag) return void res.status(304).end();
    res.type('application/javascript').send(code);
  });
  if (config.env !== 'production' && demoIngestKey) {
    router.get('/demo/shop', (_req, res) => {
      // The page's own inline script (the crm.* buttons) needs a CSP of its own.
      res.set('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'");
      res.type('html').send(demoShopPage(demoIngestKey));
    });
  }
  return router;
}
