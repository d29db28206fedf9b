import type { Principal } from "@hub/shared";
import type { Logger } from "pino";
import type { HubService } from "./backend.ts";
import type { LogTail } from "./live/log-tail.ts";

export type GraphQLContext = {
  readonly requestId: string;
  readonly logger: Logger;
  readonly hubService: HubService;
  /** The gateway's one reader of the event log, which live-feed subscriptions attach to. */
  readonly logTail: LogTail;
  /** Authenticates on first use (memoized), so one request verifies its credentials once. */
  readonly principal: () => Promise<Principal>;
};
