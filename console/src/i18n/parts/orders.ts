/** The words of the console's orders screens: zh-CN is the source, en mirrors its keys (src/i18n/catalogs.test.ts). */
export const zh = {
  // 合并支付: choosing orders on the list
  'ordersList.select': '选择',
  'ordersList.selectOrder': '选择订单 {id}',
  'ordersList.selectPage': '选择本页可支付的订单',
  'ordersList.selected': '已选 {n} 个订单',
  'ordersList.selectedTotal': '合计 {amount}',
  'ordersList.clearSelection': '清空',
  'ordersList.mergePay': '合并支付',
  'ordersList.maxSelected': '一次最多合并支付 {max} 个订单',
  // 共 N 条 and the pages
  'ordersList.total': '共 {n} 条',
  'ordersList.pagination': '订单分页',
  'ordersList.jumpLimit': '最多可跳至第 {n} 页，其后请用下一页逐页翻看',
  // 导出
  'ordersList.export': '导出',
  'ordersList.exportCsv': '导出 CSV',
  'ordersList.exportXlsx': '导出 Excel',
  'ordersList.exportHint': '按当前筛选条件导出全部订单',
  'ordersList.exported': '已导出 {name}',
  'ordersList.exportFailed': '导出失败',
  // The 合并支付 dialog
  'mergePay.title': '合并支付',
  'mergePay.count': '共 {n} 个订单',
  'mergePay.total': '合计应付',
  'mergePay.notPayable': '以下订单已不能支付，列表已更新，请取消选择后重试：',
  'mergePay.orderStatus': '{id}（{status}）',
  'mergePay.done': '已支付 {n} 个订单，共 {amount}',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'ordersList.select': 'Select',
  'ordersList.selectOrder': 'Select order {id}',
  'ordersList.selectPage': 'Select the payable orders on this page',
  'ordersList.selected': '{n} orders selected',
  'ordersList.selectedTotal': 'Total {amount}',
  'ordersList.clearSelection': 'Clear',
  'ordersList.mergePay': 'Pay together',
  'ordersList.maxSelected': 'At most {max} orders can be paid together',
  'ordersList.total': '{n} in total',
  'ordersList.pagination': 'Order pages',
  'ordersList.jumpLimit': 'You can jump to page {n} at most; beyond it, use Next page',
  'ordersList.export': 'Export',
  'ordersList.exportCsv': 'Export CSV',
  'ordersList.exportXlsx': 'Export Excel',
  'ordersList.exportHint': 'Exports every order that matches the current filters',
  'ordersList.exported': 'Exported {name}',
  'ordersList.exportFailed': 'Export failed',
  'mergePay.title': 'Pay orders together',
  'mergePay.count': '{n} orders',
  'mergePay.total': 'Total due',
  'mergePay.notPayable':
    'These orders can no longer be paid (the list has been updated); deselect them and try again:',
  'mergePay.orderStatus': '{id} ({status})',
  'mergePay.done': 'Paid {n} orders, {amount} in total',
};
