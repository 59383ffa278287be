import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import { api, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * TALLY_PUBLIC_URL: the address the console is reached at, so the invitation link answered by
 * POST /v1/internal/orgs/{orgId}/members is absolute (the operator forwards it as is).
 */
const env = (extra: Record<string, string>) =>
  loadConfig({ TALLY_OPERATOR_TOKEN: 'test-operator-token-0123456789', ...extra }, () => '');

describe('TALLY_PUBLIC_URL', () => {
  it('defaults to http://localhost:<PORT>', () => {
    expect(env({}).publicUrl).toBe('http://localhost:8080');
    expect(env({ PORT: '19201' }).publicUrl).toBe('http://localhost:19201');
  });

  it('takes an http(s) URL, with or without a path; a trailing slash is dropped', () => {
    expect(env({ TALLY_PUBLIC_URL: 'https://billing.example.com' }).publicUrl).toBe(
      'https://billing.example.com',
    );
    expect(env({ TALLY_PUBLIC_URL: 'https://billing.example.com/' }).publicUrl).toBe(
      'https://billing.example.com',
    );
    expect(env({ TALLY_PUBLIC_URL: 'https://example.com/tally/' }).publicUrl).toBe(
      'https://example.com/tally',
    );
    expect(env({ TALLY_PUBLIC_URL: 'http://10.0.0.5:8080' }).publicUrl).toBe('http://10.0.0.5:8080');
  });

  it.each([
    'billing.example.com',
    '/console',
    'ftp://example.com',
    'javascript:alert(1)',
    'https://example.com/?a=1',
    'https://example.com/#x',
    'https://user:pw@example.com',
  ])('refuses %s at start, naming the variable', (value) => {
    expect(() => env({ TALLY_PUBLIC_URL: value })).toThrow(/TALLY_PUBLIC_URL/);
  });

  describe('the invitation link', () => {
    let t: TestTally;
    let org: OrgFixture;
    beforeAll(async () => {
      t = await startTestTally({ config: { publicUrl: 'https://billing.example.com/console' } });
      org = await createOrg(t);
    });

    it('is absolute on the public URL, and its token accepts the invitation', async () => {
      const r = await api(t, 'POST', `/v1/internal/orgs/${org.id}/members`, {
        auth: t.op,
        body: { email: `public-url-${process.pid}@example.com`, orgRole: 'org_member' },
      });
      expect(r.status, r.body).toBe(201);
      const url = String(r.json.invitation.url);
      expect(url).toMatch(/^https:\/\/billing\.example\.com\/console\/invite\/[A-Za-z0-9_-]{20,}$/);
      const token = url.split('/invite/')[1]!;
      expect((await api(t, 'GET', `/v1/invitations/${token}`)).status).toBe(200);
      const accepted = await api(t, 'POST', `/v1/invitations/${token}/accept`, {
        body: { password: 'long enough now' },
      });
      expect(accepted.status, accepted.body).toBe(200);
    });
  });
});
