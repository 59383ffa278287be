import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../contract/errors.js';
import { documentOf, responseOf } from '../../contract/responses.js';
import { DOMAIN_ERRORS } from '../../server/src/http/openapi.js';
import { defineRoute } from '../../server/src/http/route.js';
import { routes, withContract } from '../../server/src/routes.js';
import { api } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * /v1/openapi.json as a client reads it: every operation documents its success answer with the contract's
 * schema (or a document's media types) and its errors, and the whole is a structurally valid OpenAPI 3
 * document (checked here by hand: no validator dependency).
 */

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let t: TestTally;
let doc: Json;
beforeAll(async () => {
  t = await startTestTally();
  const res = await api(t, 'GET', '/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = res.json;
});

/** Every operation of the document with its "METHOD url" key in fastify's path syntax. */
function operations(): { key: string; path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        path,
        method,
        op: op as Json,
      })),
  );
}

/** Follows a local `$ref` (#/components/…); undefined when it points nowhere. */
function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<any>((at, part) => (at === undefined ? undefined : at[part]), doc);
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  return out;
}

describe('GET /v1/openapi.json', () => {
  it('lists every route once, and only the routes', () => {
    const keys = operations().map((o) => o.key);
    expect([...keys].sort()).toEqual(routes.map((r) => `${r.method} ${r.url}`).sort());
  });

  it('documents every JSON success answer with a non-empty schema from the contract', () => {
    const empty: string[] = [];
    for (const { key, op } of operations()) {
      if (key in documentOf) continue;
      const success = Object.entries(op.responses as Json).filter(([status]) => /^2\d\d$/.test(status));
      expect(success, `${key}: one success response`).toHaveLength(1);
      const content = success[0]![1].content as Json;
      expect(Object.keys(content), key).toEqual(['application/json']);
      const schema = content['application/json'].schema as Json;
      if (!schema || Object.keys(schema).length === 0) empty.push(key);
      else expect(schema.type ?? schema.anyOf ?? schema.oneOf, `${key}: a typed schema`).toBeDefined();
    }
    expect(empty, 'operations whose success schema is {}').toEqual([]);
    expect(operations().filter((o) => !(o.key in documentOf)).length).toBe(Object.keys(responseOf).length);
  });

  it('documents the answers the contract describes: the fields of an order, the pages’ shape', () => {
    const json = (path: string, method: string, status = '200') =>
      doc.paths[path][method].responses[status].content['application/json'].schema as Json;
    const order = json('/v1/orgs/{orgId}/orders/{orderId}', 'get');
    expect(order.additionalProperties).toBe(false);
    expect(order.required).toEqual(expect.arrayContaining(['id', 'status', 'amount', 'history']));
    expect(order.properties.amount.type).toBe('integer');
    const list = json('/v1/orgs/{orgId}/orders', 'get');
    expect(list.required).toEqual(['items', 'nextCursor']);
    expect(list.properties.items.items.required).toEqual(expect.arrayContaining(['id', 'clusterName']));
    const purchase = json('/v1/orgs/{orgId}/clusters', 'post', '201');
    expect(Object.keys(purchase.properties)).toEqual(['cluster', 'order']);
  });

  it('documents the term (SPEC §8): renewal, upgrade with a term, the auto-renew switch, the attempts', () => {
    const json = (path: string, method: string, status = '200') =>
      doc.paths[path][method].responses[status].content['application/json'].schema as Json;
    const body = (path: string, method: string) =>
      doc.paths[path][method].requestBody.content['application/json'].schema as Json;
    const codes = (path: string, method: string, status: string) =>
      json(path, method, status).allOf[1].properties.error.properties.code.enum as string[];
    const nullable = (schema: Json) => (schema.anyOf as Json[]).some((s) => s.type === 'null');

    const renew = '/v1/orgs/{orgId}/clusters/{clusterId}/renew';
    expect(body(renew, 'post')).toMatchObject({ required: ['term'], additionalProperties: false });
    expect(body(renew, 'post').properties.term.required).toEqual(['unit', 'count']);
    expect(Object.keys(json(renew, 'post', '201').properties)).toEqual(['order']);
    expect(codes(renew, 'post', '409').sort()).toEqual(['CLUSTER_NOT_RENEWABLE', 'CLUSTER_ORDER_PENDING']);
    expect(codes(renew, 'post', '403')).toContain('FORBIDDEN');
    expect(codes(renew, 'post', '404')).toEqual(['NOT_FOUND']);
    const upgrade = '/v1/orgs/{orgId}/clusters/{clusterId}/upgrade';
    expect(body(upgrade, 'post').properties.term.required).toEqual(['unit', 'count']);
    expect(body(upgrade, 'post').required ?? []).not.toContain('term');
    expect(codes(upgrade, 'post', '409')).toEqual(
      expect.arrayContaining(['UPGRADE_ALREADY_PENDING', 'CLUSTER_ORDER_PENDING']),
    );
    const quoteTypes = (body('/v1/orgs/{orgId}/quotes', 'post').oneOf as Json[]).map(
      (o) => o.properties.type.const,
    );
    expect(quoteTypes.sort()).toEqual(['new_purchase', 'renewal', 'upgrade']);
    expect(codes('/v1/orgs/{orgId}/quotes', 'post', '409')).toContain('CLUSTER_NOT_RENEWABLE');

    const autoRenew = '/v1/orgs/{orgId}/settings/auto-renew';
    expect(Object.keys(doc.paths[autoRenew]).sort()).toEqual(['get', 'put']);
    expect(body(autoRenew, 'put')).toMatchObject({
      properties: { enabled: { type: 'boolean' } },
      required: ['enabled'],
      additionalProperties: false,
    });
    for (const method of ['get', 'put']) {
      const setting = json(autoRenew, method);
      expect(setting.required, method).toEqual(['enabled', 'updatedAt', 'updatedBy']);
      expect(nullable(setting.properties.updatedAt) && nullable(setting.properties.updatedBy), method).toBe(
        true,
      );
    }

    const attempts = '/v1/orgs/{orgId}/clusters/{clusterId}/renewal-attempts';
    const page = json(attempts, 'get');
    expect(page.required).toEqual(['items', 'nextCursor']);
    expect(page.properties.items.items.required).toEqual(
      expect.arrayContaining(['at', 'k', 'termEndsAt', 'outcome', 'orderId', 'shortfall']),
    );
    expect(page.properties.items.items.properties.outcome.enum).toEqual(['paid', 'failed', 'skipped']);
    expect((doc.paths[attempts].get.parameters as Json[]).map((q) => `${q.in}:${q.name}`)).toEqual(
      expect.arrayContaining(['query:limit', 'query:cursor']),
    );

    const cluster = json('/v1/orgs/{orgId}/clusters/{clusterId}', 'get');
    expect(cluster.required).toEqual(
      expect.arrayContaining(['recycleAt', 'deleteAt', 'pendingOrder', 'availableActions']),
    );
    expect(cluster.properties.state.enum).toEqual(
      expect.arrayContaining(['expiring', 'expired', 'recycled', 'deleted']),
    );
    expect(cluster.properties.availableActions.items.enum).toEqual(['upgrade', 'renew']);
    expect(nullable(cluster.properties.pendingOrder)).toBe(true);
    const order = json('/v1/orgs/{orgId}/orders/{orderId}', 'get');
    expect(order.required).toEqual(expect.arrayContaining(['cancelsAt', 'createdBy']));
    expect(nullable(order.properties.cancelsAt) && nullable(order.properties.createdBy)).toBe(true);
    const reason = order.properties.history.items.properties.reason as Json;
    expect(order.properties.history.items.required).toContain('reason');
    expect((reason.anyOf as Json[]).find((s) => s.enum)?.enum).toEqual([
      'cluster_expired',
      'cluster_recycled',
    ]);
  });

  it('gives documents and exports their media types instead of JSON', () => {
    for (const [key, types] of Object.entries(documentOf)) {
      const op = operations().find((o) => o.key === key);
      expect(op, key).toBeDefined();
      const content = op!.op.responses['200'].content as Json;
      expect(Object.keys(content).sort(), key).toEqual([...types].sort());
      for (const type of types) expect(content[type].schema).toEqual({ type: 'string', format: 'binary' });
    }
  });

  it('documents the errors: each status with the codes that map to it, in the error format', () => {
    for (const { key, op } of operations()) {
      const responses = op.responses as Json;
      expect(responses.default?.content['application/json'].schema, key).toEqual({
        $ref: '#/components/schemas/Error',
      });
      for (const [status, r] of Object.entries(responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const schema = r.content['application/json'].schema as Json;
        expect(schema.allOf[0], `${key} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        const codes = schema.allOf[1].properties.error.properties.code.enum as string[];
        expect(codes.length, `${key} ${status}`).toBeGreaterThan(0);
        for (const code of codes)
          expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS], `${key}: ${code}`).toBe(Number(status));
      }
    }
    const pay = doc.paths['/v1/orgs/{orgId}/orders/{orderId}/pay'].post.responses as Json;
    const codesAt = (status: string) =>
      pay[status].content['application/json'].schema.allOf[1].properties.error.properties.code.enum;
    expect(codesAt('400')).toContain('VALIDATION_FAILED');
    expect(codesAt('401')).toEqual(['UNAUTHENTICATED']);
    expect(codesAt('403')).toEqual(expect.arrayContaining(['FORBIDDEN', 'CSRF_TOKEN_INVALID']));
    expect(codesAt('404')).toEqual(['NOT_FOUND']);
    expect(codesAt('402')).toEqual(['INSUFFICIENT_BALANCE']);
    expect(codesAt('409')).toContain('ORDER_NOT_PAYABLE');
    const invitation = doc.paths['/v1/invitations/{token}'].get.responses as Json;
    expect(invitation['401']).toBeUndefined();
    expect(
      invitation['404'].content['application/json'].schema.allOf[1].properties.error.properties.code.enum,
    ).toEqual(['NOT_FOUND', 'INVITATION_INVALID']);
  });

  it('names only real routes in its table of domain errors', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    expect(Object.keys(DOMAIN_ERRORS).filter((k) => !keys.includes(k))).toEqual([]);
  });

  it('is a structurally valid OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    const schemes = Object.keys(doc.components.securitySchemes);
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      expect(path.startsWith('/'), path).toBe(true);
      expect(
        Object.keys(item).filter((k) => !METHODS.includes(k)),
        path,
      ).toEqual([]);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const at = `${method} ${path}`;
        if (op.operationId) {
          expect(operationIds.has(op.operationId), at).toBe(false);
          operationIds.add(op.operationId);
        }
        const params = (op.parameters ?? []) as Json[];
        for (const p of params) {
          expect(typeof p.name, at).toBe('string');
          expect(['path', 'query', 'header', 'cookie'], at).toContain(p.in);
          expect(p.schema ?? p.content, `${at} ${p.name}`).toBeDefined();
          if (p.in === 'path') expect(p.required, `${at} ${p.name}`).toBe(true);
        }
        expect(
          params
            .filter((p) => p.in === 'path')
            .map((p) => p.name)
            .sort(),
          `${at}: path parameters`,
        ).toEqual([...templated].sort());
        const seen = params.map((p) => `${p.in}:${p.name}`);
        expect(new Set(seen).size, `${at}: parameters unique`).toBe(seen.length);
        const responses = Object.entries(op.responses as Json);
        expect(responses.length, at).toBeGreaterThan(0);
        for (const [status, r] of responses) {
          expect(status, at).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
          expect(typeof r.description, `${at} ${status}`).toBe('string');
          for (const [type, media] of Object.entries((r.content ?? {}) as Json)) {
            expect(type, at).toMatch(/^[\w.+-]+\/[\w.+-]+/);
            expect(media.schema, `${at} ${status} ${type}`).toBeDefined();
          }
        }
        if (op.requestBody) expect(Object.keys(op.requestBody.content).length, at).toBeGreaterThan(0);
        for (const requirement of (op.security ?? []) as Json[])
          for (const name of Object.keys(requirement)) expect(schemes, at).toContain(name);
      }
    }
    const dangling = refsIn(doc).filter((ref) => resolve(ref) === undefined);
    expect(dangling, 'references that resolve to nothing').toEqual([]);
  });
});

describe('the composition root', () => {
  const route = (url: string, method: 'GET' | 'POST' | 'PUT' = 'GET') =>
    defineRoute({
      method,
      url,
      summary: 'x',
      tags: [],
      auth: 'none',
      handler: async () => ({ body: {} }),
    });

  it('refuses a route the contract has no answer for', () => {
    expect(() => withContract(route('/v1/not-in-the-contract'))).toThrow(
      /GET \/v1\/not-in-the-contract has no answer in contract\/responses\.ts/,
    );
  });

  it('attaches the contract’s schema or media types', () => {
    expect(withContract(route('/v1/catalog')).response).toBe(responseOf['GET /v1/catalog']);
    expect(withContract(route('/v1/orgs/:orgId/bills/:month/export')).produces).toEqual(
      documentOf['GET /v1/orgs/:orgId/bills/:month/export'],
    );
    for (const r of routes) expect(r.response ?? r.produces, `${r.method} ${r.url}`).toBeDefined();
  });
});
