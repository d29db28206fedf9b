import { graphql } from "../graphql.ts";

/** The Organizations and Webhooks pages' operations, each typed from the gateway's schema. */

const MutationErrorFields = graphql(`
  fragment MutationError on Error @_unmask {
    message
    ... on ValidationError {
      details {
        field
        message
      }
    }
  }
`);

export const OrganizationsQuery = graphql(`
  query ConsoleOrganizations($first: Int, $after: String) {
    organizations(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          name
          createdAt
          hubCount
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CreateOrganizationMutation = graphql(
  `
  mutation ConsoleCreateOrganization($name: String!) {
    createOrganization(name: $name) {
      __typename
      ... on Organization {
        id
        name
      }
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const ApiKeyFields = graphql(`
  fragment ApiKeyRow on ApiKey @_unmask {
    id
    name
    prefix
    permissions
    status
    createdAt
    lastUsedAt
    expiresAt
    rotatedAt
    replacedById
    revokedAt
  }
`);

export const OrganizationQuery = graphql(
  `
  query ConsoleOrganization($id: ID!, $hubOrg: String!, $hubs: Boolean!, $keys: Boolean!, $webhooks: Boolean!) {
    organization(id: $id) {
      id
      name
      createdAt
      hubCount
    }
    hubs(filter: { orgId: $hubOrg }, first: 20) @include(if: $hubs) {
      edges {
        node {
          id
          serial
          model
          status
          siteId
          provisionedAt
        }
      }
      pageInfo {
        hasNextPage
      }
    }
    apiKeys(orgId: $id) @include(if: $keys) {
      ...ApiKeyRow
    }
    webhookSubscriptions(orgId: $id) @include(if: $webhooks) {
      id
      url
      status
      eventTypes
      description
    }
  }
`,
  [ApiKeyFields],
);

export const IssueApiKeyMutation = graphql(
  `
  mutation ConsoleIssueApiKey($input: IssueApiKeyInput!) {
    issueApiKey(input: $input) {
      __typename
      ... on IssuedApiKey {
        key
        apiKey {
          ...ApiKeyRow
        }
      }
      ...MutationError
    }
  }
`,
  [ApiKeyFields, MutationErrorFields],
);

export const RotateApiKeyMutation = graphql(
  `
  mutation ConsoleRotateApiKey($id: ID!, $overlapSeconds: Int!) {
    rotateApiKey(id: $id, overlapSeconds: $overlapSeconds) {
      __typename
      ... on RotatedApiKey {
        key
        previousKeyRetiresAt
        apiKey {
          ...ApiKeyRow
        }
        previous {
          ...ApiKeyRow
        }
      }
      ...MutationError
    }
  }
`,
  [ApiKeyFields, MutationErrorFields],
);

export const RevokeApiKeyMutation = graphql(
  `
  mutation ConsoleRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      __typename
      ... on ApiKey {
        ...ApiKeyRow
      }
      ...MutationError
    }
  }
`,
  [ApiKeyFields, MutationErrorFields],
);

const WebhookFields = graphql(`
  fragment WebhookRow on WebhookSubscription @_unmask {
    id
    orgId
    organization {
      id
      name
    }
    url
    description
    status
    pausedReason
    eventTypes
    failingSince
    createdAt
    updatedAt
    previousSecretExpiresAt
    stats {
      delivered
      pending
      dead
      attempts
      lagPositions
      oldestPendingAt
    }
  }
`);

export const WebhooksQuery = graphql(
  `
  query ConsoleWebhooks($orgId: ID) {
    webhookSubscriptions(orgId: $orgId) {
      ...WebhookRow
    }
    organizations(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`,
  [WebhookFields],
);

export const CreateWebhookMutation = graphql(
  `
  mutation ConsoleCreateWebhook($input: CreateWebhookSubscriptionInput!) {
    createWebhookSubscription(input: $input) {
      __typename
      ... on WebhookSecretResult {
        secret
        subscription {
          id
          url
        }
      }
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const WebhookQuery = graphql(
  `
  query ConsoleWebhook($orgId: ID, $status: WebhookDeliveryStatus, $subscriptionId: ID!, $first: Int, $after: String) {
    webhookSubscriptions(orgId: $orgId) {
      ...WebhookRow
    }
    webhookDeliveries(filter: { subscriptionId: $subscriptionId, status: $status }, first: $first, after: $after) {
      edges {
        node {
          id
          eventType
          hubId
          version
          status
          attempts
          createdAt
          deliveredAt
          deadAt
          nextAttemptAt
          lastStatus
          lastError
          waitingReason
          attemptLog {
            attempt
            attemptedAt
            status
            durationMs
            error
            responsePrefix
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`,
  [WebhookFields],
);

export const UpdateWebhookMutation = graphql(
  `
  mutation ConsoleUpdateWebhook($input: UpdateWebhookSubscriptionInput!) {
    updateWebhookSubscription(input: $input) {
      __typename
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const PauseWebhookMutation = graphql(
  `
  mutation ConsolePauseWebhook($id: ID!, $reason: String) {
    pauseWebhookSubscription(id: $id, reason: $reason) {
      __typename
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const ResumeWebhookMutation = graphql(
  `
  mutation ConsoleResumeWebhook($id: ID!) {
    resumeWebhookSubscription(id: $id) {
      __typename
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const RotateWebhookSecretMutation = graphql(
  `
  mutation ConsoleRotateWebhookSecret($id: ID!, $overlapSeconds: Int) {
    rotateWebhookSecret(id: $id, overlapSeconds: $overlapSeconds) {
      __typename
      ... on WebhookSecretResult {
        secret
        subscription {
          previousSecretExpiresAt
        }
      }
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const DeleteWebhookMutation = graphql(
  `
  mutation ConsoleDeleteWebhook($id: ID!) {
    deleteWebhookSubscription(id: $id) {
      __typename
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const ReplayDeliveryMutation = graphql(
  `
  mutation ConsoleReplayDelivery($id: ID!) {
    replayWebhookDelivery(id: $id) {
      __typename
      ... on WebhookReplayResult {
        replayed
      }
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);

export const ReplayDeadLettersMutation = graphql(
  `
  mutation ConsoleReplayDeadLetters($subscriptionId: ID!) {
    replayWebhookDeliveries(filter: { subscriptionId: $subscriptionId }) {
      __typename
      ... on WebhookReplayResult {
        replayed
      }
      ...MutationError
    }
  }
`,
  [MutationErrorFields],
);
