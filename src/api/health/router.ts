import type { Connection } from '@temporalio/client';
import { Router } from 'express';
import type { Db } from '../../db';
import { BACKLOG_SQL, toBacklog } from '../../dispatch/dispatcher';

async function check(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<{ ok: boolean; error?: string }> {
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
  // Ready means "can take events": that needs the database only. Temporal being away delays
  // delivery (see dispatch.backlog), not acceptance.
  router.get('/readyz', async (_req, res) => {
    let dispatch: ReturnType<typeof toBacklog> | null = null;
    const [database, temporal] = await Promise.all([
      check(async () => {
        dispatch = toBacklog((await db.$queryRawUnsafe<Parameters<typeof toBacklog>[0][]>(BACKLOG_SQL))[0]);
      }),
      check(() => connection.workflowService.getSystemInfo({})),
    ]);
    res.status(database.ok ? 200 : 503).json({ status: database.ok ? 'ready' : 'not ready', database, temporal, dispatch });
  });
  return router;
}
