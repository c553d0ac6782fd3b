import type { Connection } from '@temporalio/client';
import { Router } from 'express';
import type { Db } from '../../db';

async function check(probe: () => Promise<unknown>, timeoutMs = 3000): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter({ db, connection }: { db: Db; connection: Connection }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      check(() => db.$queryRawUnsafe('SELECT 1')),
      check(() => connection.workflowService.getSystemInfo({})),
    ]);
    const ready = database.ok && temporal.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { database, temporal } });
  });
  return router;
}
