import { describe, expect, test } from 'vitest';
import { isOrderPath, safeReturnTo } from './returnTo.js';

describe('the way back from 充值', () => {
  test('a path of this org comes back as given', () => {
    expect(safeReturnTo('/orgs/org_1/orders/ord_9', 'org_1')).toBe('/orgs/org_1/orders/ord_9');
    expect(safeReturnTo('/orgs/org_1/orders?status=unpaid#top', 'org_1')).toBe(
      '/orgs/org_1/orders?status=unpaid#top',
    );
  });

  test('another site, another org, or outside the org gives no way back', () => {
    for (const raw of [
      null,
      undefined,
      '',
      'https://evil.example/orgs/org_1/orders',
      '//evil.example/orgs/org_1/orders',
      '/\\evil.example/orgs/org_1/',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/orgs/org_2/orders/ord_9',
      '/orgs/org_1',
      '/orgs/org_1/',
      '/orgs/org_10/orders',
      '/orgs/org_1/../org_2/orders',
      '/orgs/org_1/%2e%2e/org_2/orders',
      '/login',
      'orgs/org_1/orders',
      '/orgs/org_1/orders\n',
      `/orgs/org_1/${'a'.repeat(600)}`,
    ])
      expect(safeReturnTo(raw, 'org_1'), String(raw)).toBeUndefined();
  });

  test('an order’s page reads 返回订单, another page 返回', () => {
    expect(isOrderPath('/orgs/org_1/orders/ord_9', 'org_1')).toBe(true);
    expect(isOrderPath('/orgs/org_1/orders/ord_9?x=1', 'org_1')).toBe(true);
    expect(isOrderPath('/orgs/org_1/orders', 'org_1')).toBe(false);
    expect(isOrderPath('/orgs/org_1/clusters/c_1', 'org_1')).toBe(false);
  });
});
