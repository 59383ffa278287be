/** The words of the console's a11y screens: zh-CN is the source, en mirrors its keys (src/i18n/catalogs.test.ts). */
export const zh = {
  'a11y.createdRange': '创建时间',
  'a11y.createdFrom': '创建时间：开始日期',
  'a11y.createdTo': '创建时间：结束日期',
  'a11y.more': '更多操作',
  'a11y.pending.upgrade': '该集群有一笔未支付的{type}订单：支付或取消它之后才能升配。',
  'a11y.pending.renew': '该集群有一笔未支付的{type}订单：支付或取消它之后才能续订。',
  'a11y.pending.view': '查看待支付订单',
  'a11y.extendTerm': '延长的时长',
  'a11y.projectLoading': '项目名称加载中',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'a11y.createdRange': 'Created',
  'a11y.createdFrom': 'Created: start date',
  'a11y.createdTo': 'Created: end date',
  'a11y.more': 'More actions',
  'a11y.pending.upgrade':
    'This cluster has an unpaid {type} order: pay or cancel it before upgrading the cluster.',
  'a11y.pending.renew':
    'This cluster has an unpaid {type} order: pay or cancel it before renewing the cluster.',
  'a11y.pending.view': 'View the unpaid order',
  'a11y.extendTerm': 'Extension',
  'a11y.projectLoading': 'Loading the project name',
};
