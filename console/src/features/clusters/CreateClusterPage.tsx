import { Alert, Button, Card, Flex, Form, Input, InputNumber, Radio, Select, Tag, Typography } from 'antd';
import { api } from '../../api/endpoints.js';
import type { Catalog } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { ErrorState, PageLoading } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { loadCatalog } from '../../lib/catalog.js';
import { useAsync } from '../../lib/useAsync.js';
import { useLiveQuote } from '../../lib/useQuote.js';
import { discountLabel, termLabel } from '../orders/presentation.js';
import { QuoteView } from './QuoteView.js';
import { parseTerm, termKey } from './terms.js';
import { usePlaceOrder } from './usePlaceOrder.js';

interface FormValues {
  projectId?: string;
  name?: string;
  region: string;
  cuType: string;
  cuSize: number;
  replicas: number;
  term: string;
}

function CreateForm({ catalog }: { catalog: Catalog }) {
  const { t, locale, errorText } = useI18n();
  const { org, projects } = useOrg();
  const buyable = projects.filter((p) => org.orgRole === 'org_admin' || p.role === 'project_admin');
  const firstRegion = catalog.regions[0];
  const [form] = Form.useForm<FormValues>();
  const initial: FormValues = {
    projectId: buyable.length === 1 ? buyable[0]?.id : undefined,
    region: firstRegion?.id ?? '',
    cuType: firstRegion?.cuTypes[0]?.id ?? '',
    cuSize: catalog.cuSizes[0] ?? 1,
    replicas: catalog.replicas.min,
    term: termKey(catalog.terms[0] ?? { unit: 'month', count: 1 }),
  };
  const values = Form.useWatch([], form) ?? initial;
  const v = { ...initial, ...values };
  const region = catalog.regions.find((r) => r.id === v.region) ?? firstRegion;
  const shape = {
    region: v.region,
    cuType: v.cuType,
    cuSize: v.cuSize,
    replicas: v.replicas,
    term: parseTerm(v.term),
  };
  const valid = Boolean(region?.cuTypes.some((c) => c.id === v.cuType) && v.cuSize && v.replicas);
  const quote = useLiveQuote(shape, valid ? () => api.quotePurchase(org.id, shape) : undefined);
  const placing = usePlaceOrder();
  const { busy: submitting, error } = placing;

  const submit = (f: FormValues) =>
    placing.submit((key) =>
      api.createCluster(
        org.id,
        {
          projectId: f.projectId ?? '',
          name: (f.name ?? '').trim(),
          region: f.region,
          cuType: f.cuType,
          cuSize: f.cuSize,
          replicas: f.replicas,
          term: parseTerm(f.term),
        },
        key,
      ),
    );

  if (buyable.length === 0 && projects.length > 0)
    return <Alert type="warning" showIcon title={t('create.noProjects')} />;

  return (
    <Flex gap={24} wrap align="flex-start">
      <Form<FormValues>
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={submit}
        style={{ flex: 2, minWidth: 'min(420px, 100%)' }}
        onValuesChange={(changed: Partial<FormValues>) => {
          if (changed.region) {
            const r = catalog.regions.find((x) => x.id === changed.region);
            if (r && !r.cuTypes.some((c) => c.id === form.getFieldValue('cuType')))
              form.setFieldValue('cuType', r.cuTypes[0]?.id);
          }
        }}
      >
        <Form.Item
          label={t('create.project')}
          name="projectId"
          rules={[{ required: true, message: t('common.required') }]}
        >
          <Select
            data-testid="create-project"
            options={buyable.map((p) => ({ value: p.id, label: p.name }))}
            placeholder={t('create.project')}
          />
        </Form.Item>
        <Form.Item
          label={t('create.name')}
          name="name"
          rules={[{ required: true, whitespace: true, max: 64, message: t('create.nameRule') }]}
        >
          <Input placeholder={t('create.namePlaceholder')} maxLength={64} data-testid="create-name" />
        </Form.Item>
        <Form.Item label={t('config.region')} name="region">
          <Radio.Group
            optionType="button"
            options={catalog.regions.map((r) => ({ value: r.id, label: r.name[locale] }))}
          />
        </Form.Item>
        <Form.Item label={t('config.cuType')} name="cuType">
          <Radio.Group
            optionType="button"
            options={(region?.cuTypes ?? []).map((c) => ({ value: c.id, label: c.name[locale] }))}
          />
        </Form.Item>
        <Form.Item label={t('config.cuSize')} name="cuSize">
          <Select
            style={{ width: 200 }}
            options={catalog.cuSizes.map((n) => ({ value: n, label: t('config.cuSizeValue', { n }) }))}
            data-testid="create-cusize"
          />
        </Form.Item>
        <Form.Item label={t('config.replicas')} name="replicas">
          <InputNumber
            min={catalog.replicas.min}
            max={catalog.replicas.max}
            precision={0}
            data-testid="create-replicas"
          />
        </Form.Item>
        <Form.Item label={t('config.term')} name="term">
          <Radio.Group
            optionType="button"
            data-testid="create-term"
            options={catalog.terms.map((term) => ({
              value: termKey(term),
              label: (
                <span>
                  {termLabel(t, term)}
                  {term.discountPercent < 100 && (
                    <Tag color="red" style={{ marginInlineStart: 6, marginInlineEnd: 0 }}>
                      {discountLabel(t, term.discountPercent)}
                    </Tag>
                  )}
                </span>
              ),
            }))}
          />
        </Form.Item>
        {error !== undefined && (
          <Alert
            type="error"
            showIcon
            title={errorText(error)}
            style={{ marginBottom: 16 }}
            data-testid="create-error"
          />
        )}
        <Button
          type="primary"
          htmlType="submit"
          loading={submitting}
          disabled={submitting}
          data-testid="create-submit"
        >
          {t('create.submit')}
        </Button>
      </Form>
      <Card
        title={t('create.quote')}
        style={{ flex: 1, minWidth: 'min(300px, 100%)', position: 'sticky', top: 24 }}
      >
        <QuoteView quote={quote.quote} loading={quote.loading} error={quote.error} />
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0, fontSize: 12 }}>
          {t('create.submitNote')}
        </Typography.Paragraph>
      </Card>
    </Flex>
  );
}

/** 创建包年包月集群 with a live quote; submitting lands on the new unpaid order. */
export function CreateClusterPage() {
  const { t } = useI18n();
  const catalog = useAsync(() => loadCatalog(), []);
  return (
    <Card title={t('create.title')} data-testid="create-cluster-page">
      {catalog.error ? (
        <ErrorState error={catalog.error} onRetry={catalog.reload} />
      ) : catalog.data ? (
        <CreateForm catalog={catalog.data} />
      ) : (
        <PageLoading />
      )}
    </Card>
  );
}
