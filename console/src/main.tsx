import { ConfigProvider } from 'antd';
import enUSModule from 'antd/es/locale/en_US.js';
import type { Locale as AntLocale } from 'antd/es/locale/index.js';
import zhCNModule from 'antd/es/locale/zh_CN.js';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn.js';
// Zero-runtime styles: antd's prebuilt stylesheet instead of CSS-in-JS generated while rendering (the first
// render of the orders page took ~300 ms longer with runtime styles on this machine).
import 'antd/dist/antd.css';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './app/App.js';
import './app/console.css';
import { SessionProvider } from './app/session.js';
import { prefetchOrdersFromUrl } from './features/orders/prefetch.js';
import { I18nProvider, useI18n } from './i18n/i18n.js';
import { allStarted } from './lib/prefetch.js';

// antd ships these as ES modules without "type": "module": TypeScript (NodeNext) sees the CommonJS shape,
// the bundler the ES default export. Accept both.
const esDefault = (m: object): AntLocale => ('default' in m ? (m.default as AntLocale) : (m as AntLocale));
const zhCN = esDefault(zhCNModule);
const enUS = esDefault(enUSModule);

function Localized() {
  const { locale } = useI18n();
  useEffect(() => {
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
  }, [locale]);
  return (
    <ConfigProvider
      locale={locale === 'zh-CN' ? zhCN : enUS}
      button={{ autoInsertSpace: false }}
      theme={{ zeroRuntime: true }}
    >
      <SessionProvider>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </SessionProvider>
    </ConfigProvider>
  );
}

prefetchOrdersFromUrl(window.location);

// The first render waits a little for the answers asked for before the code ran (the session, the first
// orders page), which are usually here by now: the page is then drawn once, with its rows, instead of a
// spinner, then the page, then its rows. Never long: a slow answer shows the spinner.
const FIRST_RENDER_WAIT_MS = 200;
await Promise.race([allStarted(), new Promise((resolve) => setTimeout(resolve, FIRST_RENDER_WAIT_MS))]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <Localized />
    </I18nProvider>
  </StrictMode>,
);
