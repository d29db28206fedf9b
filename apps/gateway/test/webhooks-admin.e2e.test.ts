import { randomUUID } from "node:crypto";
import { waitUntil } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { type GraphqlAnswer, postGraphql } from "./support/graphql.ts";
import { useSystem } from "./support/system.ts";

// Managing webhook subscriptions through GraphQL as admins and partners meet it: the real
// gateway, hub-service and registry emulator (no relay: deliveries stay as the fan-out queued them).
// Organization A is the e2e organization (its manage key has webhooks:manage), B the other one.
const e2e = useSystem();

type Json = Record<string, any>;
type Answer = GraphqlAnswer;

const asAdmin = () => ({
  authorization: `Bearer ${e2e.current.token({ role: "admin" }, { subject: "admin-webhooks" })}`,
});
const asKey = (key: string) => ({ "x-api-key": key });
const asA = () => asKey(e2e.current.manageApiKey);
const asB = () => asKey(e2e.current.otherOrg.apiKey);

const graphql = (query: string, variables: Json, headers: Record<string, string>) =>
  postGraphql(e2e.current.gatewayUrl, query, variables, headers);

const SUBSCRIPTION = /* GraphQL */ `
  id orgId url eventTypes description status pausedReason previousSecretExpiresAt failingSince createdAt updatedAt`;
const STATS = /* GraphQL */ `stats { pending delivered dead attempts lagPositions oldestPendingAt }`;
const FAILURES = /* GraphQL */ `
  ... on ValidationError { message details { field message } }
  ... on NotFoundError { message }`;
const SUBSCRIPTION_RESULT = /* GraphQL */ `__typename ... on WebhookSubscription { ${SUBSCRIPTION} } ${FAILURES}`;
const SECRET_RESULT = /* GraphQL */ `
  __typename ... on WebhookSecretResult { secret subscription { ${SUBSCRIPTION} } } ${FAILURES}`;
const REPLAY_RESULT = /* GraphQL */ `__typename ... on WebhookReplayResult { replayed } ${FAILURES}`;

const CREATE = `mutation C($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { ${SECRET_RESULT} } }`;
const UPDATE = `mutation U($input: UpdateWebhookSubscriptionInput!) {
  updateWebhookSubscription(input: $input) { ${SUBSCRIPTION_RESULT} ... on WebhookSubscription { ${STATS} } } }`;
const PAUSE = `mutation P($id: ID!, $reason: String) {
  pauseWebhookSubscription(id: $id, reason: $reason) { ${SUBSCRIPTION_RESULT} } }`;
const RESUME = `mutation R($id: ID!) { resumeWebhookSubscription(id: $id) { ${SUBSCRIPTION_RESULT} } }`;
const DELETE = `mutation D($id: ID!) { deleteWebhookSubscription(id: $id) { ${SUBSCRIPTION_RESULT} } }`;
const ROTATE = `mutation S($id: ID!, $overlapSeconds: Int) {
  rotateWebhookSecret(id: $id, overlapSeconds: $overlapSeconds) { ${SECRET_RESULT} } }`;
const LIST = `query L($orgId: ID) { webhookSubscriptions(orgId: $orgId) { ${SUBSCRIPTION} ${STATS} } }`;
const DELIVERIES = `query W($filter: WebhookDeliveryFilter, $first: Int, $after: String) {
  webhookDeliveries(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id subscriptionId webhookId hubId version position eventType status attempts
      nextAttemptAt lastStatus lastError createdAt deliveredAt deadAt attemptLog { attempt status } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
const WAITING = `query Q($filter: WebhookDeliveryFilter) {
  webhookDeliveries(filter: $filter, first: 100) {
    edges { node { id hubId version status nextAttemptAt waitingReason waitingFor } } } }`;
const IDS_ONLY = `query I($filter: WebhookDeliveryFilter) { webhookDeliveries(filter: $filter) { edges { node { id } } } }`;
const REPLAY_ONE = `mutation O($id: ID!) { replayWebhookDelivery(id: $id) { ${REPLAY_RESULT} } }`;
const REPLAY = `mutation M($filter: WebhookReplayFilter!) { replayWebhookDeliveries(filter: $filter) { ${REPLAY_RESULT} } }`;

/** A subscription of `orgId` made by an admin; its secret is remembered for the log scan. */
async function create(orgId: string, extra: Json = {}): Promise<{ subscription: Json; secret: string }> {
  const answer = await graphql(
    CREATE,
    { input: { orgId, url: "http://127.0.0.1:9/hooks", ...extra } },
    asAdmin(),
  );
  const result = answer.data?.createWebhookSubscription;
  expect(result?.__typename, answer.text).toBe("WebhookSecretResult");
  e2e.current.remember(result.secret);
  return result;
}

const errorCode = (answer: Answer) => answer.errors?.[0]?.extensions?.code;

describe("webhook subscriptions through GraphQL", () => {
  it("an admin creates, lists, updates, pauses, resumes, rotates and deletes; the secret is only in create and rotate", async () => {
    const orgId = e2e.current.orgId;
    const created = await graphql(
      CREATE,
      {
        input: {
          orgId,
          url: "http://127.0.0.1:9/hooks",
          eventTypes: ["HubSuspended", "HubClaimed"],
          description: "ERP",
        },
      },
      asAdmin(),
    );
    const result = created.data?.createWebhookSubscription;
    expect(result?.__typename, created.text).toBe("WebhookSecretResult");
    const secret = e2e.current.remember(result.secret as string);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(result.subscription).toMatchObject({
      orgId,
      url: "http://127.0.0.1:9/hooks",
      eventTypes: ["HubClaimed", "HubSuspended"],
      description: "ERP",
      status: "ACTIVE",
      pausedReason: null,
      previousSecretExpiresAt: null,
      failingSince: null,
    });
    const id = result.subscription.id as string;

    const listed = await graphql(LIST, { orgId }, asAdmin());
    expect(listed.errors).toBeUndefined();
    expect(listed.data?.webhookSubscriptions).toContainEqual({
      ...result.subscription,
      stats: { pending: 0, delivered: 0, dead: 0, attempts: 0, lagPositions: 0, oldestPendingAt: null },
    });
    expect(listed.text).not.toContain(secret);
    // Without orgId an admin sees every organization's; B's filter does not show A's.
    expect((await graphql(LIST, {}, asAdmin())).data?.webhookSubscriptions.map((s: Json) => s.id)).toContain(
      id,
    );
    const ofB = await graphql(LIST, { orgId: e2e.current.otherOrg.id }, asAdmin());
    expect(ofB.data?.webhookSubscriptions.map((s: Json) => s.id)).not.toContain(id);

    const updated = await graphql(
      UPDATE,
      { input: { id, url: "http://127.0.0.1:9/v2", eventTypes: [], description: null } },
      asAdmin(),
    );
    expect(updated.data?.updateWebhookSubscription, updated.text).toMatchObject({
      __typename: "WebhookSubscription",
      id,
      url: "http://127.0.0.1:9/v2",
      eventTypes: [],
      description: null,
      stats: { pending: 0, dead: 0 },
    });
    expect(updated.text).not.toContain("whsec_");
    // Absent fields stay as they are.
    const described = await graphql(UPDATE, { input: { id, description: "ERP v2" } }, asAdmin());
    expect(described.data?.updateWebhookSubscription).toMatchObject({
      url: "http://127.0.0.1:9/v2",
      description: "ERP v2",
    });

    const paused = await graphql(PAUSE, { id, reason: "partner maintenance" }, asAdmin());
    expect(paused.data?.pauseWebhookSubscription).toMatchObject({
      __typename: "WebhookSubscription",
      status: "PAUSED",
      pausedReason: "partner maintenance",
    });
    const resumed = await graphql(RESUME, { id }, asAdmin());
    expect(resumed.data?.resumeWebhookSubscription).toMatchObject({ status: "ACTIVE", pausedReason: null });

    const before = Date.now();
    const rotated = await graphql(ROTATE, { id, overlapSeconds: 3600 }, asAdmin());
    const rotation = rotated.data?.rotateWebhookSecret;
    expect(rotation?.__typename, rotated.text).toBe("WebhookSecretResult");
    const newSecret = e2e.current.remember(rotation.secret as string);
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    expect(rotation.subscription.previousSecretExpiresAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(rotation.subscription.previousSecretExpiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
    const defaultOverlap = await graphql(ROTATE, { id }, asAdmin());
    e2e.current.remember(defaultOverlap.data?.rotateWebhookSecret.secret);
    expect(defaultOverlap.data?.rotateWebhookSecret.subscription.previousSecretExpiresAt).toBeGreaterThan(
      Date.now() + 86_400_000 - 60_000,
    );
    const afterRotation = await graphql(LIST, { orgId }, asAdmin());
    expect(afterRotation.text).not.toContain(newSecret);

    const deleted = await graphql(DELETE, { id }, asAdmin());
    expect(deleted.data?.deleteWebhookSubscription).toMatchObject({ __typename: "WebhookSubscription", id });
    const gone = await graphql(LIST, { orgId }, asAdmin());
    expect(gone.data?.webhookSubscriptions.map((s: Json) => s.id)).not.toContain(id);
    const again = await graphql(DELETE, { id }, asAdmin());
    expect(again.data?.deleteWebhookSubscription).toMatchObject({
      __typename: "NotFoundError",
      message: "Webhook subscription not found",
    });
  });

  it("an organization's key with webhooks:manage manages its own; another organization's is not found, naming it forbidden", async () => {
    const ofB = await create(e2e.current.otherOrg.id);
    const bId = ofB.subscription.id as string;

    // Without orgId: its own organization.
    const own = await graphql(
      CREATE,
      { input: { url: "http://127.0.0.1:9/a", eventTypes: ["HubClaimed"] } },
      asA(),
    );
    const ownResult = own.data?.createWebhookSubscription;
    expect(ownResult?.__typename, own.text).toBe("WebhookSecretResult");
    e2e.current.remember(ownResult.secret);
    expect(ownResult.subscription.orgId).toBe(e2e.current.orgId);
    const aId = ownResult.subscription.id as string;
    const explicit = await graphql(
      CREATE,
      { input: { orgId: e2e.current.orgId, url: "http://127.0.0.1:9/b" } },
      asA(),
    );
    expect(explicit.data?.createWebhookSubscription.subscription.orgId).toBe(e2e.current.orgId);
    e2e.current.remember(explicit.data?.createWebhookSubscription.secret);

    const listed = await graphql(LIST, {}, asA());
    const ids = listed.data?.webhookSubscriptions.map((s: Json) => s.id) as string[];
    expect(ids).toContain(aId);
    expect(ids).not.toContain(bId);
    expect(new Set(listed.data?.webhookSubscriptions.map((s: Json) => s.orgId))).toEqual(
      new Set([e2e.current.orgId]),
    );
    expect(
      (await graphql(PAUSE, { id: aId, reason: "ours" }, asA())).data?.pauseWebhookSubscription,
    ).toMatchObject({
      status: "PAUSED",
    });
    expect((await graphql(RESUME, { id: aId }, asA())).data?.resumeWebhookSubscription.status).toBe("ACTIVE");

    // B's subscription: not found, whatever A does to it; and it stays as it was.
    const notFound = { __typename: "NotFoundError", message: "Webhook subscription not found" };
    expect((await graphql(UPDATE, { input: { id: bId, url: "http://127.0.0.1:9/x" } }, asA())).data).toEqual({
      updateWebhookSubscription: notFound,
    });
    expect((await graphql(PAUSE, { id: bId }, asA())).data?.pauseWebhookSubscription).toEqual(notFound);
    expect((await graphql(RESUME, { id: bId }, asA())).data?.resumeWebhookSubscription).toEqual(notFound);
    expect((await graphql(ROTATE, { id: bId }, asA())).data?.rotateWebhookSecret).toEqual(notFound);
    expect((await graphql(DELETE, { id: bId }, asA())).data?.deleteWebhookSubscription).toEqual(notFound);
    expect(
      (await graphql(REPLAY, { filter: { subscriptionId: bId } }, asA())).data?.replayWebhookDeliveries,
    ).toEqual(notFound);
    const deliveriesOfB = await graphql(DELIVERIES, { filter: { subscriptionId: bId } }, asA());
    expect(errorCode(deliveriesOfB), deliveriesOfB.text).toBe("NOT_FOUND");
    const stillB = await graphql(LIST, { orgId: e2e.current.otherOrg.id }, asAdmin());
    expect(stillB.data?.webhookSubscriptions.find((s: Json) => s.id === bId)).toMatchObject({
      url: "http://127.0.0.1:9/hooks",
      status: "ACTIVE",
    });

    // Naming B: forbidden, as a GraphQL error.
    const intoB = await graphql(
      CREATE,
      { input: { orgId: e2e.current.otherOrg.id, url: "http://127.0.0.1:9/c" } },
      asA(),
    );
    expect(intoB.data).toBeNull();
    expect(errorCode(intoB)).toBe("FORBIDDEN");
    expect(errorCode(await graphql(LIST, { orgId: e2e.current.otherOrg.id }, asA()))).toBe("FORBIDDEN");

    // B sees its own, not A's.
    const bList = await graphql(LIST, {}, asB());
    expect(bList.data?.webhookSubscriptions.map((s: Json) => s.id)).toEqual([bId]);
  });

  it("a key without webhooks:manage and a user's token are forbidden; no credentials is unauthenticated", async () => {
    const { subscription } = await create(e2e.current.orgId);
    const withoutPermission = asKey(e2e.current.readOnlyApiKey);
    const user = { authorization: `Bearer ${e2e.current.token({ role: "user" }, { subject: "user-7" })}` };
    for (const [who, headers] of [
      ["hubs:read key", withoutPermission],
      ["user", user],
    ] as const) {
      const list = await graphql(LIST, {}, headers);
      expect(list.data, who).toBeNull();
      expect(errorCode(list), who).toBe("FORBIDDEN");
      const created = await graphql(CREATE, { input: { url: "http://127.0.0.1:9/x" } }, headers);
      expect(errorCode(created), who).toBe("FORBIDDEN");
      expect(errorCode(await graphql(PAUSE, { id: subscription.id }, headers)), who).toBe("FORBIDDEN");
      expect(errorCode(await graphql(DELIVERIES, {}, headers)), who).toBe("FORBIDDEN");
      expect(errorCode(await graphql(REPLAY_ONE, { id: "1" }, headers)), who).toBe("FORBIDDEN");
    }
    expect(errorCode(await graphql(LIST, {}, {}))).toBe("UNAUTHENTICATED");
    // Nothing changed.
    const listed = await graphql(LIST, { orgId: e2e.current.orgId }, asAdmin());
    expect(listed.data?.webhookSubscriptions.find((s: Json) => s.id === subscription.id)?.status).toBe(
      "ACTIVE",
    );
  });

  it("invalid input is a ValidationError naming the field", async () => {
    const validation = async (document: string, variables: Json, field: string, headers = asAdmin()) => {
      const answer = await graphql(document, variables, headers);
      const result = Object.values(answer.data ?? {})[0] as Json | undefined;
      expect(result?.__typename, answer.text).toBe("ValidationError");
      expect(
        result?.details.map((d: Json) => d.field),
        answer.text,
      ).toContain(field);
    };
    const orgId = e2e.current.orgId;
    await validation(CREATE, { input: { orgId, url: "ftp://127.0.0.1/x" } }, "url");
    await validation(CREATE, { input: { orgId, url: "https://user:secret@example.com/x" } }, "url");
    await validation(CREATE, { input: { orgId, url: "not a url" } }, "url");
    // Event types are the HubEventType enum: an unknown one is refused before any resolver runs.
    const unknownType = await graphql(
      CREATE,
      { input: { orgId, url: "https://example.com/x", eventTypes: ["HubExploded"] } },
      asAdmin(),
    );
    expect(unknownType.data, unknownType.text).toBeUndefined();
    expect(unknownType.text).toMatch(/HubExploded/);
    await validation(CREATE, { input: { url: "https://example.com/x" } }, "orgId");
    await validation(CREATE, { input: { orgId: randomUUID(), url: "https://example.com/x" } }, "orgId");
    await validation(CREATE, { input: { orgId: "acme", url: "https://example.com/x" } }, "orgId");
    const { subscription } = await create(orgId);
    await validation(UPDATE, { input: { id: subscription.id, url: "gopher://x" } }, "url");
    await validation(PAUSE, { id: "not-a-uuid" }, "id");
    await validation(ROTATE, { id: subscription.id, overlapSeconds: 8 * 86_400 }, "overlapSeconds");
    await validation(REPLAY_ONE, { id: "abc" }, "id");
    await validation(REPLAY, { filter: { hubId: "nope" } }, "filter.hubId");
    // Queries answer invalid arguments as GraphQL errors, as `hubs` does.
    const page = await graphql(DELIVERIES, { first: 101 }, asAdmin());
    expect(errorCode(page)).toBe("VALIDATION");
    // The refused create left nothing behind.
    const listed = await graphql(LIST, { orgId }, asAdmin());
    expect(listed.data?.webhookSubscriptions.map((s: Json) => s.url)).not.toContain("ftp://127.0.0.1/x");
  });

  it("deliveries: empty for a new subscription; a provisioned hub's event queued for its organization only; replay of nothing is 0", async () => {
    const { subscription } = await create(e2e.current.orgId, { eventTypes: ["HubProvisioned"] });
    const id = subscription.id as string;
    const second = await create(e2e.current.orgId, { eventTypes: ["HubProvisioned"] });
    const empty = await graphql(DELIVERIES, { filter: { subscriptionId: id } }, asA());
    expect(empty.data?.webhookDeliveries, empty.text).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    const nothing = await graphql(REPLAY, { filter: { subscriptionId: id } }, asA());
    expect(nothing.data?.replayWebhookDeliveries).toEqual({ __typename: "WebhookReplayResult", replayed: 0 });
    expect((await graphql(REPLAY_ONE, { id: "987654321" }, asAdmin())).data?.replayWebhookDelivery).toEqual({
      __typename: "WebhookReplayResult",
      replayed: 0,
    });

    // Organization A provisions a hub: the fan-out queues the event for A's subscription (no relay
    // runs here, so it stays pending).
    const hub = await e2e.current.newHub();
    const provisioned = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
      method: "POST",
      headers: { "content-type": "application/json", ...asA() },
      body: JSON.stringify(hub),
    });
    expect(provisioned.status).toBe(201);
    let page: Json = {};
    await waitUntil(async () => {
      page = (await graphql(DELIVERIES, { filter: { subscriptionId: id } }, asA())).data?.webhookDeliveries;
      return page.edges.length > 0;
    }, "the fan-out to queue the delivery");
    const [edge] = page.edges as Json[];
    expect(edge?.cursor).toBe(edge?.node.id);
    expect(edge?.node).toMatchObject({
      subscriptionId: id,
      webhookId: `${hub.hubId}:1`,
      hubId: hub.hubId,
      version: 1,
      eventType: "HubProvisioned",
      status: "PENDING",
      attempts: 0,
      lastStatus: null,
      deliveredAt: null,
      deadAt: null,
      attemptLog: [],
    });
    expect(edge?.node.nextAttemptAt).toEqual(expect.any(Number));
    const stats = (await graphql(LIST, {}, asA())).data?.webhookSubscriptions.find(
      (s: Json) => s.id === id,
    ).stats;
    expect(stats).toMatchObject({ pending: 1, delivered: 0, dead: 0 });
    expect(stats.lagPositions).toBeGreaterThanOrEqual(1);

    // B sees none of A's deliveries, by hub or at all; replaying A's delivery is not found for B.
    const byHub = await graphql(DELIVERIES, { filter: { hubId: hub.hubId } }, asB());
    expect(byHub.data?.webhookDeliveries.edges).toEqual([]);
    expect(
      (await graphql(REPLAY_ONE, { id: edge?.node.id }, asB())).data?.replayWebhookDelivery,
    ).toMatchObject({
      __typename: "NotFoundError",
    });
    // Pending: there is nothing to replay yet.
    expect((await graphql(REPLAY_ONE, { id: edge?.node.id }, asA())).data?.replayWebhookDelivery).toEqual({
      __typename: "WebhookReplayResult",
      replayed: 0,
    });
    // Every subscription of A's for that type got the event (others of this file's too): paged one
    // at a time, newest first, each page continuing after the previous one's cursor.
    const paged: Json[] = [];
    let after: string | undefined;
    for (;;) {
      const answer = await graphql(DELIVERIES, { filter: { hubId: hub.hubId }, first: 1, after }, asA());
      const connection = answer.data?.webhookDeliveries;
      expect(connection?.edges, answer.text).toHaveLength(1);
      expect(connection.pageInfo.endCursor).toBe(connection.edges[0].cursor);
      paged.push(connection.edges[0].node);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    const pagedIds = paged.map((node) => Number(node.id));
    expect(pagedIds).toEqual([...pagedIds].sort((a, b) => b - a));
    expect(new Set(pagedIds).size).toBe(pagedIds.length);
    expect(paged.map((node) => node.subscriptionId)).toEqual(
      expect.arrayContaining([id, second.subscription.id]),
    );
    expect(new Set(paged.map((node) => node.webhookId))).toEqual(new Set([`${hub.hubId}:1`]));
  });

  it("a queue waiting behind its head, then paused, lists with its real state for admins and the organization, by subscription, hub and organization-wide", async () => {
    const { subscription } = await create(e2e.current.orgId);
    const id = subscription.id as string;
    const hub = await e2e.current.newHub();
    const rest = (command: string, body: Json) =>
      fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/${command}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...asA() },
        body: JSON.stringify(body),
      });
    expect((await rest("ProvisionHub", hub)).status).toBe(201);
    const suspended = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/SuspendHub`, {
      method: "POST",
      headers: { "content-type": "application/json", ...asAdmin() },
      body: JSON.stringify({ hubId: hub.hubId, reason: "stolen", userId: "ops" }),
    });
    expect(suspended.status).toBe(200);

    // No relay runs: version 1 is due and stays pending, version 2 waits behind it.
    const listed = async (filter: Json, headers: Record<string, string>) => {
      const answer = await graphql(WAITING, { filter }, headers);
      expect(answer.errors, answer.text).toBeUndefined();
      return (answer.data?.webhookDeliveries.edges as Json[])
        .map((edge) => edge.node)
        .filter((node) => node.hubId === hub.hubId);
    };
    let nodes: Json[] = [];
    await waitUntil(async () => {
      nodes = await listed({ subscriptionId: id }, asA());
      return nodes.length === 2;
    }, "the fan-out to queue both events");
    const [second, first] = nodes as [Json, Json];
    expect(first).toMatchObject({ version: 1, status: "PENDING", waitingReason: null, waitingFor: null });
    expect(first.nextAttemptAt).toEqual(expect.any(Number));
    expect(second).toMatchObject({
      version: 2,
      status: "PENDING",
      nextAttemptAt: null,
      waitingReason: "QUEUED_BEHIND",
      waitingFor: first.id,
    });
    for (const [filter, headers] of [
      [{ subscriptionId: id }, asAdmin()],
      [{ hubId: hub.hubId }, asA()],
      [{ hubId: hub.hubId }, asAdmin()],
      [{}, asA()],
    ] as const) {
      expect((await listed(filter, headers)).filter((node) => node.waitingReason !== null)).toContainEqual(
        second,
      );
      const ids = await graphql(IDS_ONLY, { filter }, headers);
      expect(ids.errors, ids.text).toBeUndefined();
      expect(ids.data?.webhookDeliveries.edges.length).toBeGreaterThan(0);
    }

    // Paused: the whole queue is held, its head too.
    expect((await graphql(PAUSE, { id }, asA())).data?.pauseWebhookSubscription.status).toBe("PAUSED");
    expect(await listed({}, asA())).toEqual(
      expect.arrayContaining([
        { ...second, waitingReason: "SUBSCRIPTION_PAUSED", waitingFor: null },
        { ...first, nextAttemptAt: null, waitingReason: "SUBSCRIPTION_PAUSED" },
      ]),
    );
    expect((await listed({ subscriptionId: id }, asAdmin())).map((node) => node.waitingReason)).toEqual([
      "SUBSCRIPTION_PAUSED",
      "SUBSCRIPTION_PAUSED",
    ]);
  });
});
