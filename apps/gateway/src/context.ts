import type { Principal } from "@hub/shared";
import type { Logger } from "pino";
import type { HubApi } from "./hub-api.ts";

export type GraphQLContext = {
  readonly requestId: string;
  readonly logger: Logger;
  readonly hubApi: HubApi;
  /** Authenticates on first use (memoized), so one request verifies its credentials once. */
  readonly principal: () => Promise<Principal>;
};
