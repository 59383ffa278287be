import type { MeOrg } from '../../api/types.js';

/** The banner above every page of a frozen org or one with bills due (scaffold: the feature is being built). */
export function ArrearsBanner(_props: { org: MeOrg }) {
  return null;
}
