import { graphql } from "./graphql.ts";

/** The console's operations, all in one place: each is typed from the gateway's schema. */

export const HubRowFields = graphql(`
  fragment HubRow on Hub @_unmask {
    id
    serial
    model
    vendorName
    status
    orgId
    organization {
      id
      name
    }
    siteId
    isPrimary
    provisionedAt
  }
`);

export const HubsQuery = graphql(
  `
  query ConsoleHubs($filter: HubFilter, $orderBy: HubOrder, $first: Int, $after: String, $last: Int, $before: String) {
    hubs(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          ...HubRow
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`,
  [HubRowFields],
);

export const EventFields = graphql(`
  fragment EventRow on HubEvent @_unmask {
    position
    hubId
    type
    version
    recordedAt
    actor {
      kind
      id
    }
    source
    requestId
    correlationId
    data
  }
`);

export const HubQuery = graphql(
  `
  query ConsoleHub($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    hub(id: $id) {
      id
      serial
      model
      vendorName
      thingName
      status
      orgId
      siteId
      isPrimary
      claimedAt
      provisionedAt
      provisionedByOrgId
      organization {
        id
        name
      }
      provisionedByOrganization {
        id
        name
      }
      updatedAt
      version
      events(first: $first, after: $after, last: $last, before: $before) {
        edges {
          cursor
          node {
            ...EventRow
          }
        }
        pageInfo {
          hasPreviousPage
          hasNextPage
          startCursor
          endCursor
        }
      }
    }
  }
`,
  [EventFields],
);

export const EventFeedQuery = graphql(
  `
  query ConsoleEventFeed($first: Int, $after: String, $last: Int) {
    events(order: OLDEST_FIRST, first: $first, after: $after, last: $last) {
      edges {
        cursor
        node {
          ...EventRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`,
  [EventFields],
);

/** What every lifecycle command answers (the three unions share their members). */
const CommandOutcomeFields = graphql(`
  fragment CommandOutcome on CommandSuccess @_unmask {
    version
    event {
      type
    }
  }
`);

const CommandErrorFields = graphql(`
  fragment CommandError on Error @_unmask {
    message
    ... on ConflictError {
      reason
      field
    }
    ... on HubOfflineError {
      hubId
    }
    ... on UnavailableError {
      retryAfterSeconds
    }
    ... on ValidationError {
      details {
        field
        message
      }
    }
  }
`);

export const SuspendHubMutation = graphql(
  `
  mutation ConsoleSuspendHub($input: SuspendHubInput!) {
    suspendHub(input: $input) {
      __typename
      ...CommandOutcome
      ...CommandError
    }
  }
`,
  [CommandOutcomeFields, CommandErrorFields],
);

export const ResumeHubMutation = graphql(
  `
  mutation ConsoleResumeHub($input: ResumeHubInput!) {
    resumeHub(input: $input) {
      __typename
      ...CommandOutcome
      ...CommandError
    }
  }
`,
  [CommandOutcomeFields, CommandErrorFields],
);

export const DecommissionHubMutation = graphql(
  `
  mutation ConsoleDecommissionHub($input: DecommissionHubInput!) {
    decommissionHub(input: $input) {
      __typename
      ...CommandOutcome
      ...CommandError
    }
  }
`,
  [CommandOutcomeFields, CommandErrorFields],
);
