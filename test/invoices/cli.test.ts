import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  describeInvoice,
  failWithReason,
  issueFromFile,
  listForOperator,
  parseIssueDate,
} from '../../server/src/invoices/invoices-cli.js';
import { AppError } from '../../server/src/platform/errors.js';
import { api, type OrgFixture } from '../factories.js';
import { onPostgres, PG_URL, startTestTally, type TestTally } from '../harness.js';
import { ENTERPRISE, expectStatus, orgWithPaidOrder, PDF, paidOrder, requestInvoice } from './support.js';

/** `npx tally invoices …`: the functions the CLI calls, and (on PostgreSQL) the binary itself. */
let t: TestTally;
let org: OrgFixture;
const orders: { id: string; amount: number }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'tally-invoices-'));
const pdfFile = join(dir, 'invoice.pdf');
writeFileSync(pdfFile, PDF);

async function request(orderId: string) {
  return expectStatus(
    await requestInvoice(t, org, {
      items: [{ kind: 'order', id: orderId }],
      type: 'special',
      emails: ['finance@example.com'],
    }),
    201,
  );
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

beforeAll(async () => {
  t = await startTestTally();
  const x = await orgWithPaidOrder(t, ENTERPRISE);
  org = x.org;
  orders.push(x.order);
  for (let i = 0; i < 3; i++) orders.push(await paidOrder(t, org));
});

describe('tally invoices', () => {
  it('list: the requested invoices, oldest first, one line each with the org, amount and buyer', async () => {
    const first = await request(orders[0]!.id);
    t.clock.advance(1_000);
    const second = await request(orders[1]!.id);
    const rows = await listForOperator(t.deps.db, 'requested');
    expect(rows.map((r) => r.id)).toEqual([first.id, second.id]);
    const line = describeInvoice(rows[0]!);
    expect(line).toContain(first.id);
    expect(line).toContain(org.id);
    expect(line).toContain(ENTERPRISE.title);
    expect(line).toContain('¥900.00');
    expect(await listForOperator(t.deps.db, 'issued')).toEqual([]);
  });

  it('issue: number, date and the PDF file; refused for a file that is not a PDF, a bad date, twice', async () => {
    const [inv] = await listForOperator(t.deps.db, 'requested');
    const now = t.clock.now();
    const notPdf = join(dir, 'note.txt');
    writeFileSync(notPdf, 'not a pdf');
    const base = { invoiceId: inv!.id, number: '26332000000000000001', now };
    expect(
      (await refusal(issueFromFile(t.deps.db, { ...base, date: '2026-11-02', pdfPath: notPdf }))).code,
    ).toBe('VALIDATION_FAILED');
    expect(
      (await refusal(issueFromFile(t.deps.db, { ...base, date: '2026-02-30', pdfPath: pdfFile }))).code,
    ).toBe('VALIDATION_FAILED');
    expect(
      (
        await refusal(
          issueFromFile(t.deps.db, { ...base, number: 'a b', date: '2026-11-02', pdfPath: pdfFile }),
        )
      ).code,
    ).toBe('VALIDATION_FAILED');
    const issued = await issueFromFile(t.deps.db, { ...base, date: '2026-11-02', pdfPath: pdfFile });
    expect(issued).toMatchObject({ status: 'issued', number: '26332000000000000001' });
    expect(issued.issued_at).toEqual(new Date('2026-11-02T00:00:00Z'));
    const doc = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${org.id}/invoices/${inv!.id}/document`,
      headers: org.admin.auth,
    });
    expect(doc.statusCode).toBe(200);
    expect(doc.rawPayload.equals(PDF)).toBe(true);
    const again = await refusal(issueFromFile(t.deps.db, { ...base, date: '2026-11-02', pdfPath: pdfFile }));
    expect(again.code).toBe('INVOICE_NOT_OPEN');
    expect(again.details).toEqual({ status: 'issued' });
  });

  it('fail: with a reason, once; the order may be invoiced again', async () => {
    const [inv] = await listForOperator(t.deps.db, 'requested');
    const now = t.clock.now();
    expect((await refusal(failWithReason(t.deps.db, { invoiceId: inv!.id, reason: '  ', now }))).code).toBe(
      'VALIDATION_FAILED',
    );
    const failed = await failWithReason(t.deps.db, { invoiceId: inv!.id, reason: '税号有误', now });
    expect(failed).toMatchObject({ status: 'failed', failure_reason: '税号有误' });
    expect(describeInvoice(failed)).toContain('failed: 税号有误');
    expect((await refusal(failWithReason(t.deps.db, { invoiceId: inv!.id, reason: 'x', now }))).code).toBe(
      'INVOICE_NOT_OPEN',
    );
    expect((await refusal(failWithReason(t.deps.db, { invoiceId: 'inv_nope', reason: 'x', now }))).code).toBe(
      'NOT_FOUND',
    );
    const list = expectStatus(
      await api(t, 'GET', `/v1/orgs/${org.id}/invoiceable`, { auth: org.admin.auth }),
      200,
    );
    expect(list.items.map((i: { id: string }) => i.id)).toContain(orders[1]!.id);
    expect(await listForOperator(t.deps.db, 'requested')).toEqual([]);
  });

  it('--date takes a calendar day (UTC) or an instant', () => {
    expect(parseIssueDate('2026-12-07')).toEqual(new Date('2026-12-07T00:00:00Z'));
    expect(parseIssueDate('2026-12-07T08:00:00+08:00')).toEqual(new Date('2026-12-07T00:00:00Z'));
    for (const bad of ['2026-13-01', '07/12/2026', 'yesterday'])
      expect(() => parseIssueDate(bad)).toThrow(AppError);
  });

  it.skipIf(!onPostgres)(
    'the binary: npx tally invoices list and issue, on the server’s database',
    async () => {
      const inv = await request(orders[2]!.id);
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(t.deps.db);
      const url = new URL(PG_URL);
      url.searchParams.set('options', `-c search_path=${rows[0]!.schema}`);
      const tally = (...args: string[]) =>
        spawnSync(
          process.execPath,
          [resolve(import.meta.dirname, '../../bin/tally.mjs'), 'invoices', ...args],
          {
            env: { ...process.env, DATABASE_URL: url.toString() },
            encoding: 'utf8',
            timeout: 120_000,
          },
        );
      const list = tally('list');
      expect(list.status, list.stderr).toBe(0);
      expect(list.stdout).toContain(inv.id);
      expect(list.stdout).toContain('1 requested invoice');
      const issue = tally(
        'issue',
        inv.id,
        '--number',
        '26332000000000000002',
        '--date',
        '2026-11-02',
        '--pdf',
        pdfFile,
      );
      expect(issue.status, issue.stderr).toBe(0);
      expect(issue.stdout).toContain('issued no. 26332000000000000002 on 2026-11-02');
      const twice = tally('issue', inv.id, '--number', '3', '--date', '2026-11-02', '--pdf', pdfFile);
      expect(twice.status).toBe(1);
      expect(twice.stderr).toContain('INVOICE_NOT_OPEN');
      const got = expectStatus(
        await api(t, 'GET', `/v1/orgs/${org.id}/invoices/${inv.id}`, { auth: org.admin.auth }),
        200,
      );
      expect(got).toMatchObject({ status: 'issued', number: '26332000000000000002', hasDocument: true });
    },
    300_000,
  );
});
