import { lifecycleProcedures } from "./lifecycle-procedure.ts";
import { apiKeyVerifyProcedure } from "./procedures/api-key-verify.ts";
import {
  createOrganizationProcedure,
  issueApiKeyProcedure,
  listApiKeysProcedure,
  listOrganizationsProcedure,
  organizationByIdProcedure,
  organizationsByIdsProcedure,
  revokeApiKeyProcedure,
  rotateApiKeyProcedure,
} from "./procedures/api-keys.ts";
import { eventFeedProcedure } from "./procedures/event-feed.ts";
import {
  consumerCommitProcedure,
  consumerLeaseProcedure,
  consumerReleaseProcedure,
  consumersProcedure,
  readLogProcedure,
} from "./procedures/event-log.ts";
import { fleetOverviewProcedure } from "./procedures/fleet-overview.ts";
import { hubByIdProcedure } from "./procedures/hub-by-id.ts";
import { hubBySerialProcedure } from "./procedures/hub-by-serial.ts";
import { hubCommandProcedure, hubCommandsProcedure } from "./procedures/hub-commands.ts";
import { auditListProcedure, deleteHubProcedure } from "./procedures/hub-delete.ts";
import { hubEventsProcedure } from "./procedures/hub-events.ts";
import { hubLastEventsProcedure } from "./procedures/hub-last-events.ts";
import { hubListProcedure } from "./procedures/hub-list.ts";
import { ruleConfirmationProcedure, ruleMessagesProcedure } from "./procedures/iot-rule.ts";
import { organizationHubCountsProcedure } from "./procedures/organization-hub-counts.ts";
import { provisionHubProcedure } from "./procedures/provision-hub.ts";
import { provisionManyProcedure } from "./procedures/provision-many.ts";
import { claimDeliveriesProcedure, reportDeliveriesProcedure } from "./procedures/relay.ts";
import {
  createWebhookProcedure,
  deleteWebhookProcedure,
  listWebhooksProcedure,
  pauseWebhookProcedure,
  replayWebhookDeliveriesProcedure,
  resumeWebhookProcedure,
  rotateWebhookSecretProcedure,
  updateWebhookProcedure,
  webhookDeliveriesProcedure,
} from "./procedures/webhooks.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  hub: router({
    provision: provisionHubProcedure,
    provisionMany: provisionManyProcedure,
    // claim, reClaim, setRole, suspend, resume, decommission: one per entry of the command list.
    ...lifecycleProcedures,
    byId: hubByIdProcedure,
    bySerial: hubBySerialProcedure,
    events: hubEventsProcedure,
    list: hubListProcedure,
    lastEvents: hubLastEventsProcedure,
    /** Commands sent to a hub (SendHubCommand, CommissionDevice), tracked to their outcome. */
    commands: hubCommandsProcedure,
    command: hubCommandProcedure,
    /** Deleting a hub: its read model (rebuilt from its events) or its whole stream, archived. */
    delete: deleteHubProcedure,
  }),
  /** The audit trail (operators' actions: organizations, keys, hub deletions), for admins. */
  audit: router({ list: auditListProcedure }),
  events: router({
    feed: eventFeedProcedure,
    /** The log for consumers: the live feed's reads, remote consumers' leases and checkpoints. */
    read: readLogProcedure,
    consumerLease: consumerLeaseProcedure,
    consumerCommit: consumerCommitProcedure,
    consumerRelease: consumerReleaseProcedure,
    consumers: consumersProcedure,
  }),
  webhooks: router({
    create: createWebhookProcedure,
    list: listWebhooksProcedure,
    update: updateWebhookProcedure,
    pause: pauseWebhookProcedure,
    resume: resumeWebhookProcedure,
    delete: deleteWebhookProcedure,
    rotateSecret: rotateWebhookSecretProcedure,
    deliveries: webhookDeliveriesProcedure,
    replay: replayWebhookDeliveriesProcedure,
  }),
  relay: router({ claim: claimDeliveriesProcedure, report: reportDeliveriesProcedure }),
  organizations: router({
    create: createOrganizationProcedure,
    list: listOrganizationsProcedure,
    byId: organizationByIdProcedure,
    /** One call per GraphQL request for every organization name it shows. */
    byIds: organizationsByIdsProcedure,
    hubCounts: organizationHubCountsProcedure,
  }),
  apiKeys: router({
    verify: apiKeyVerifyProcedure,
    issue: issueApiKeyProcedure,
    list: listApiKeysProcedure,
    rotate: rotateApiKeyProcedure,
    revoke: revokeApiKeyProcedure,
  }),
  /** The AWS IoT topic rule's HTTP action, forwarded by the gateway. */
  iot: router({ ruleMessages: ruleMessagesProcedure, ruleConfirmation: ruleConfirmationProcedure }),
  /** The admin console's overview: counts of hubs, commands and webhook deliveries. */
  fleet: router({ overview: fleetOverviewProcedure }),
});

export type AppRouter = typeof appRouter;
