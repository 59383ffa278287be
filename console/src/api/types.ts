/**
 * The shapes the console reads from the API, inferred from the contract's own schemas (contract/responses.ts
 * for answers, contract/enums.ts for enumerated values): the server's answers are tested against the same
 * schemas (test/contract/responses.test.ts), so these types cannot drift from what it sends.
 */
export type {
  BillStatus,
  ClusterAction,
  ClusterState,
  OrderAction,
  OrderStatus,
  OrderType,
  OrgRole,
  ProjectRole,
} from '../../../contract/enums.js';
export type {
  ApiKey,
  AutoRenewSetting,
  Balance,
  Bill,
  BillLine,
  BillList,
  BillSummary,
  Catalog,
  Cluster,
  ClusterPurchase,
  Coupon,
  CreatedApiKey,
  Invitation,
  InvitationAccepted,
  LedgerEntry,
  LocalizedName,
  Me,
  MeOrg,
  Order,
  OrderConfig,
  OrderDetail,
  OrderHistoryEntry,
  OrderResult,
  Page,
  Payment,
  Project,
  Quote,
  RemittanceAccount,
  Term,
  TopUp,
} from '../../../contract/responses.js';
