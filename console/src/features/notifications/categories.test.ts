import { describe, expect, test } from 'vitest';
import { CRITICAL_CATEGORIES, NOTIFICATION_CATEGORIES } from '../../../../contract/notifications.js';
import { CATEGORIES, isCriticalCategory } from './categories.js';

describe("the console's copy of the notification categories", () => {
  test('lists every category of the contract once, and no other', () => {
    expect([...CATEGORIES].sort()).toEqual([...NOTIFICATION_CATEGORIES].sort());
  });

  test('marks exactly the contract’s critical categories', () => {
    expect(CATEGORIES.filter(isCriticalCategory).sort()).toEqual([...CRITICAL_CATEGORIES].sort());
  });
});
