import { describe, expect, it } from 'vitest';
import { ORDER_LIST_MAX_OFFSET } from '../../../../contract/api.js';
import { deepestJump, MAX_OFFSET, positionOf, provisionalTotal } from './paging.js';

describe('orders paging', () => {
  it('bounds jumps exactly as the API does', () => {
    expect(MAX_OFFSET).toBe(ORDER_LIST_MAX_OFFSET);
  });

  it('asks for a page by the cursor seen before it, else by its first row', () => {
    const cursors = new Map([[3, 'c3']]);
    expect(positionOf(1, 20, cursors)).toEqual({ page: 1 });
    expect(positionOf(3, 20, cursors)).toEqual({ page: 3, cursor: 'c3' });
    expect(positionOf(4, 20, cursors)).toEqual({ page: 4, offset: 60 });
    expect(positionOf(2, 50, new Map())).toEqual({ page: 2, offset: 50 });
  });

  it('reaches by offset no deeper than the bound, and by cursor beyond it', () => {
    expect(deepestJump(20)).toBe(501);
    expect(positionOf(501, 20, new Map())).toEqual({ page: 501, offset: 10_000 });
    expect(positionOf(502, 20, new Map())).toBeUndefined();
    expect(positionOf(502, 20, new Map([[502, 'c']]))).toEqual({ page: 502, cursor: 'c' });
    expect(deepestJump(50)).toBe(201);
  });

  it('pages by what it has seen until the count comes', () => {
    expect(provisionalTotal(1, 20, 20, true)).toBe(21);
    expect(provisionalTotal(3, 20, 7, false)).toBe(47);
  });
});
