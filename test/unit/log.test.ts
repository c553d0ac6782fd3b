// The log's last line of defence (src/log.ts): email addresses and phone numbers in any string
// of a line (message, fields, errors) become placeholders, and known personal fields are redacted.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrub } from '../../src/log';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', stream), lines };
}

describe('the log', () => {
  it('replaces emails and Korean phone numbers in text', () => {
    expect(scrub('550 no such user minji.kim+shop@example.co.kr (to +82 10-5550-1234, 010-5550-1234, 01055501234)')).toBe(
      '550 no such user [email] (to [phone], [phone], [phone])',
    );
    expect(scrub('order o-20261202-0001 total 39000, at 2026-12-02T10:00:00Z')).toBe('order o-20261202-0001 total 39000, at 2026-12-02T10:00:00Z');
  });

  it('scrubs the message, nested fields and errors of a line, and redacts known personal fields', () => {
    const { logger, lines } = capture();
    const error = new Error('smtp refused minji@example.org');
    logger.warn({ err: error, attempt: { recipient: '+821055501234', note: ['call 010-5550-1234'] }, customer: { email: 'a@b.kr', name: '김민지' } }, 'send to minji@example.org failed');
    const [line] = lines;
    expect(line.msg).toBe('send to [email] failed');
    expect(line.err).toMatchObject({ type: 'Error', message: 'smtp refused [email]' });
    expect(line.attempt).toEqual({ recipient: '[phone]', note: ['call [phone]'] });
    expect(line.customer).toEqual({ email: '[redacted]', name: '[redacted]' });
    expect(JSON.stringify(line)).not.toMatch(/minji|5550|김민지/);
  });
});
