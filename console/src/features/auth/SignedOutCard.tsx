import { Button, Card, Flex, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../../i18n/i18n.js';

/**
 * The frame of the pages shown before sign-in (the sign-in page, an invitation link): a card in the middle of
 * the window with the page's title and the language switch.
 */
export function SignedOutCard({
  title,
  testId,
  children,
}: {
  title: string;
  testId?: string;
  children: ReactNode;
}) {
  const { t, locale, setLocale } = useI18n();
  return (
    <Flex
      align="center"
      justify="center"
      style={{ minHeight: '100vh', padding: 12, boxSizing: 'border-box' }}
    >
      <Card style={{ width: '100%', maxWidth: 420 }} data-testid={testId}>
        <Flex justify="space-between" align="baseline">
          <Typography.Title level={3}>{title}</Typography.Title>
          <Button type="link" onClick={() => setLocale(locale === 'zh-CN' ? 'en-US' : 'zh-CN')}>
            {t('header.switchLanguage')}
          </Button>
        </Flex>
        {children}
      </Card>
    </Flex>
  );
}
