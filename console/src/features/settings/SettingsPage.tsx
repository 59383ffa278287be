import { Alert, Button, Flex, Input, Radio, Skeleton, Switch, Tag, Typography } from 'antd';
import { type ReactNode, useEffect, useId, useState } from 'react';
import type { Locale, NotificationCategory } from '../../../../contract/notifications.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { Panel } from '../../components/Panel.js';
import { toast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { useAsync } from '../../lib/useAsync.js';
import { CATEGORIES, CATEGORY_GROUP, CATEGORY_GROUPS } from '../notifications/categories.js';
import { settingsApi } from './api.js';
import { fenToYuanInput, parseYuan } from './yuan.js';

/** A part of the page with its heading: loads and fails on its own, so one failure never blanks the others. */
function Section({
  title,
  intro,
  testId,
  children,
}: {
  title: string;
  intro: string;
  testId: string;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <section aria-labelledby={id} data-testid={testId} style={{ marginBottom: 32 }}>
      <Typography.Title level={3} id={id} style={{ fontSize: 16, marginTop: 0 }}>
        {title}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{intro}</Typography.Paragraph>
      {children}
    </section>
  );
}

function LoadError({ error, onRetry }: { error: unknown; onRetry(): void }) {
  const { t, errorText } = useI18n();
  return (
    <Alert
      type="error"
      showIcon
      title={t('settings.loadFailed')}
      description={errorText(error)}
      action={
        <Button size="small" onClick={onRetry} data-testid="retry">
          {t('common.retry')}
        </Button>
      }
    />
  );
}

/** 通知设置: a switch per category; the critical ones are on, disabled, and say why. */
function NotificationSwitches() {
  const { t, errorText } = useI18n();
  const settings = useAsync((signal) => settingsApi.notificationSettings(signal), []);
  const [muted, setMuted] = useState<ReadonlySet<NotificationCategory>>(new Set());
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const baseId = useId();

  useEffect(() => {
    if (settings.data) setMuted(new Set(settings.data.muted));
  }, [settings.data]);

  if (settings.error) return <LoadError error={settings.error} onRetry={settings.reload} />;
  if (!settings.data) return <Skeleton active paragraph={{ rows: 6 }} />;
  const critical = new Set(settings.data.critical);
  const saved = new Set(settings.data.muted);
  const dirty = muted.size !== saved.size || [...muted].some((c) => !saved.has(c));

  const toggle = (c: NotificationCategory, on: boolean) => {
    setSaveError(undefined);
    setMuted((prev) => {
      const next = new Set(prev);
      if (on) next.delete(c);
      else next.add(c);
      return next;
    });
  };

  const save = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const r = await settingsApi.saveNotificationSettings(CATEGORIES.filter((c) => muted.has(c)));
      settings.setData(() => r);
      toast.success(t('settings.notificationsSaved'));
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      {CATEGORY_GROUPS.map((group) => (
        <div key={group} style={{ marginBottom: 16 }}>
          <Typography.Title level={4} style={{ fontSize: 14, margin: '0 0 4px' }}>
            {t(`settings.group.${group}`)}
          </Typography.Title>
          {CATEGORIES.filter((c) => CATEGORY_GROUP[c] === group).map((c) => {
            const isCritical = critical.has(c);
            const labelId = `${baseId}-${c}-label`;
            const descId = `${baseId}-${c}-desc`;
            return (
              <Flex
                key={c}
                justify="space-between"
                align="center"
                gap={12}
                style={{ padding: '8px 0', borderBottom: '1px solid #f0f0f0' }}
                data-testid={`category-${c}`}
              >
                <div style={{ minWidth: 0 }}>
                  <Flex wrap gap={6} align="center">
                    <span id={labelId} style={{ fontWeight: 500 }}>
                      {t(`notifications.category.${c}`)}
                    </span>
                    {isCritical && (
                      <Tag color="red" data-testid="category-locked">
                        {t('settings.cannotMute')}
                      </Tag>
                    )}
                  </Flex>
                  <Typography.Text type="secondary" id={descId} style={{ fontSize: 13 }}>
                    {t(`notifications.categoryDesc.${c}`)}
                    {isCritical && <> · {t('settings.criticalReason')}</>}
                  </Typography.Text>
                </div>
                <Switch
                  checked={isCritical || !muted.has(c)}
                  disabled={isCritical || saving}
                  onChange={(on) => toggle(c, on)}
                  aria-labelledby={labelId}
                  aria-describedby={descId}
                  data-testid={`category-switch-${c}`}
                />
              </Flex>
            );
          })}
        </div>
      ))}
      {saveError !== undefined && (
        <Alert
          type="error"
          showIcon
          title={errorText(saveError)}
          style={{ marginBottom: 12 }}
          data-testid="notification-settings-error"
        />
      )}
      <Button
        type="primary"
        onClick={save}
        loading={saving}
        disabled={saving || !dirty}
        data-testid="notification-settings-save"
      >
        {t('settings.save')}
      </Button>
    </>
  );
}

const LOCALE_LABEL = { 'zh-CN': 'settings.localeZh', en: 'settings.localeEn' } as const satisfies Record<
  Locale,
  string
>;

/** 邮件语言: the language of the user's notification mail (not of the console). */
function MailLanguage() {
  const { t, errorText } = useI18n();
  const settings = useAsync((signal) => settingsApi.userSettings(signal), []);
  const [locale, setLocale] = useState<Locale>();
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  useEffect(() => {
    if (settings.data) setLocale(settings.data.locale);
  }, [settings.data]);

  if (settings.error) return <LoadError error={settings.error} onRetry={settings.reload} />;
  if (!settings.data || !locale) return <Skeleton active paragraph={{ rows: 1 }} />;

  const save = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const r = await settingsApi.saveUserSettings(locale);
      settings.setData(() => r);
      toast.success(t('settings.mailLanguageSaved'));
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Flex vertical gap={12} align="flex-start">
      <Radio.Group
        aria-label={t('settings.mailLanguage')}
        value={locale}
        disabled={saving}
        onChange={(e) => {
          setSaveError(undefined);
          setLocale(e.target.value as Locale);
        }}
        data-testid="mail-language"
        options={(Object.keys(LOCALE_LABEL) as Locale[]).map((l) => ({
          value: l,
          label: <span data-testid={`mail-language-${l}`}>{t(LOCALE_LABEL[l])}</span>,
        }))}
      />
      {saveError !== undefined && <Alert type="error" showIcon title={errorText(saveError)} />}
      <Button
        type="primary"
        onClick={save}
        loading={saving}
        disabled={saving || locale === settings.data.locale}
        data-testid="mail-language-save"
      >
        {t('settings.save')}
      </Button>
    </Flex>
  );
}

/** 余额预警阈值: every role that reads the balance sees it; the two org admin roles change it. */
function LowBalance() {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const editable = can(org, 'lowbalance.set');
  const setting = useAsync((signal) => settingsApi.lowBalance(org.id, signal), [org.id]);
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState<'invalid' | 'tooLarge'>();
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const inputId = useId();
  const helpId = useId();

  useEffect(() => {
    if (setting.data) setText(fenToYuanInput(setting.data.threshold));
  }, [setting.data]);

  if (setting.error) return <LoadError error={setting.error} onRetry={setting.reload} />;
  if (!setting.data) return <Skeleton active paragraph={{ rows: 1 }} />;
  const current = setting.data;

  const save = async () => {
    const parsed = parseYuan(text);
    if (!parsed.ok) {
      setInvalid(parsed.reason);
      return;
    }
    setInvalid(undefined);
    setSaving(true);
    setSaveError(undefined);
    try {
      const r = await settingsApi.saveLowBalance(org.id, parsed.fen);
      setting.setData(() => r);
      toast.success(t('settings.lowBalanceSaved'));
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Flex vertical gap={12} align="flex-start" style={{ maxWidth: 420 }}>
      <div>
        <Typography.Text type="secondary">{t('settings.lowBalanceCurrent')}</Typography.Text>
        <Typography.Text strong data-testid="low-balance-current">
          {formatMoney(current.threshold, current.currency)}
        </Typography.Text>
      </div>
      {editable ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
          style={{ width: '100%' }}
        >
          <label htmlFor={inputId} style={{ display: 'block', marginBottom: 4 }}>
            {t('settings.lowBalanceAmount')}
          </label>
          <Flex gap={8} align="flex-start" wrap>
            <div style={{ flex: '1 1 180px', minWidth: 0 }}>
              <Input
                id={inputId}
                prefix="¥"
                inputMode="decimal"
                value={text}
                status={invalid ? 'error' : undefined}
                aria-invalid={invalid ? true : undefined}
                aria-describedby={invalid ? helpId : undefined}
                onChange={(e) => {
                  setText(e.target.value);
                  setInvalid(undefined);
                  setSaveError(undefined);
                }}
                data-testid="low-balance-input"
              />
              {invalid && (
                <div
                  id={helpId}
                  role="alert"
                  style={{ color: '#cf1322', marginTop: 4 }}
                  data-testid="low-balance-invalid"
                >
                  {t(invalid === 'invalid' ? 'settings.lowBalanceInvalid' : 'settings.lowBalanceTooLarge')}
                </div>
              )}
            </div>
            <Button
              type="primary"
              htmlType="submit"
              loading={saving}
              disabled={saving}
              data-testid="low-balance-save"
            >
              {t('settings.save')}
            </Button>
          </Flex>
          {saveError !== undefined && (
            <Alert type="error" showIcon title={errorText(saveError)} style={{ marginTop: 12 }} />
          )}
        </form>
      ) : (
        <Typography.Text type="secondary" data-testid="low-balance-readonly">
          {t('settings.lowBalanceReadOnly')}
        </Typography.Text>
      )}
    </Flex>
  );
}

/** 设置: the user's notification categories and mail language; the org's low-balance threshold for those who read it. */
export function SettingsPage() {
  const { t } = useI18n();
  const { org } = useOrg();
  return (
    <Panel title={t('nav.settings')} testId="settings-page">
      <Section
        title={t('settings.notifications')}
        intro={t('settings.notificationsIntro')}
        testId="settings-notifications"
      >
        <NotificationSwitches />
      </Section>
      <Section
        title={t('settings.mailLanguage')}
        intro={t('settings.mailLanguageIntro')}
        testId="settings-mail-language"
      >
        <MailLanguage />
      </Section>
      {can(org, 'lowbalance.read') && (
        <Section
          title={t('settings.lowBalance')}
          intro={t('settings.lowBalanceIntro')}
          testId="settings-low-balance"
        >
          <LowBalance />
        </Section>
      )}
    </Panel>
  );
}
