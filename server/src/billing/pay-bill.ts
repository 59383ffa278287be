/**
 * Paying bills from cash lives with the bill's lifecycle (bill-lifecycle.ts): at confirmation, and after each
 * top-up, oldest first, as far as the cash goes.
 */
export { payBillFromCash, payOutstandingBills } from './bill-lifecycle.js';
