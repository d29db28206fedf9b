/* eslint-disable */
/* prettier-ignore */

export type introspection_types = {
  Boolean: unknown;
  ClaimHubInput: {
    kind: "INPUT_OBJECT";
    name: "ClaimHubInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      { name: "orgId"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      {
        name: "siteId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "userId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
    ];
  };
  ClaimHubResult: {
    kind: "UNION";
    name: "ClaimHubResult";
    fields: {};
    possibleTypes:
      | "CommandSuccess"
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  CommandEvent: {
    kind: "OBJECT";
    name: "CommandEvent";
    fields: {
      data: {
        name: "data";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "JSONObject"; ofType: null } };
      };
      type: {
        name: "type";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  CommandSuccess: {
    kind: "OBJECT";
    name: "CommandSuccess";
    fields: {
      aggregateId: {
        name: "aggregateId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      event: { name: "event"; type: { kind: "OBJECT"; name: "CommandEvent"; ofType: null } };
      success: {
        name: "success";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Boolean"; ofType: null } };
      };
      version: {
        name: "version";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
    };
  };
  ConflictError: {
    kind: "OBJECT";
    name: "ConflictError";
    fields: {
      field: { name: "field"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      reason: { name: "reason"; type: { kind: "ENUM"; name: "ConflictReason"; ofType: null } };
    };
  };
  ConflictReason: {
    name: "ConflictReason";
    enumValues:
      | "CLAIMED_ELSEWHERE"
      | "DECOMMISSIONED"
      | "DIFFERENT_PAYLOAD"
      | "FIELD_TAKEN"
      | "NOT_CLAIMED"
      | "SITE_HAS_PRIMARY"
      | "SUSPENDED";
  };
  DecommissionHubInput: {
    kind: "INPUT_OBJECT";
    name: "DecommissionHubInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "reason";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "userId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
    ];
  };
  DecommissionHubResult: {
    kind: "UNION";
    name: "DecommissionHubResult";
    fields: {};
    possibleTypes:
      | "CommandSuccess"
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  Error: {
    kind: "INTERFACE";
    name: "Error";
    fields: {
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
    possibleTypes:
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "ThingNotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  EventActor: {
    kind: "OBJECT";
    name: "EventActor";
    fields: {
      id: {
        name: "id";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      kind: {
        name: "kind";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  EventFeedOrder: { name: "EventFeedOrder"; enumValues: "NEWEST_FIRST" | "OLDEST_FIRST" };
  FieldError: {
    kind: "OBJECT";
    name: "FieldError";
    fields: {
      field: {
        name: "field";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  Float: unknown;
  Hub: {
    kind: "OBJECT";
    name: "Hub";
    fields: {
      claimedAt: { name: "claimedAt"; type: { kind: "SCALAR"; name: "Float"; ofType: null } };
      events: {
        name: "events";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "OBJECT"; name: "HubEventConnection"; ofType: null };
        };
      };
      id: {
        name: "id";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "ID"; ofType: null } };
      };
      isPrimary: {
        name: "isPrimary";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Boolean"; ofType: null } };
      };
      lastEvent: { name: "lastEvent"; type: { kind: "OBJECT"; name: "HubEvent"; ofType: null } };
      model: {
        name: "model";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      orgId: { name: "orgId"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      provisionedAt: {
        name: "provisionedAt";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Float"; ofType: null } };
      };
      provisionedByOrgId: {
        name: "provisionedByOrgId";
        type: { kind: "SCALAR"; name: "String"; ofType: null };
      };
      serial: {
        name: "serial";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      siteId: { name: "siteId"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      status: {
        name: "status";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "ENUM"; name: "HubStatus"; ofType: null } };
      };
      thingName: {
        name: "thingName";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      updatedAt: {
        name: "updatedAt";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Float"; ofType: null } };
      };
      vendorName: { name: "vendorName"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      version: {
        name: "version";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
    };
  };
  HubConnection: {
    kind: "OBJECT";
    name: "HubConnection";
    fields: {
      edges: {
        name: "edges";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: {
            kind: "LIST";
            name: never;
            ofType: {
              kind: "NON_NULL";
              name: never;
              ofType: { kind: "OBJECT"; name: "HubEdge"; ofType: null };
            };
          };
        };
      };
      pageInfo: {
        name: "pageInfo";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "OBJECT"; name: "PageInfo"; ofType: null } };
      };
    };
  };
  HubEdge: {
    kind: "OBJECT";
    name: "HubEdge";
    fields: {
      cursor: {
        name: "cursor";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      node: {
        name: "node";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "OBJECT"; name: "Hub"; ofType: null } };
      };
    };
  };
  HubEvent: {
    kind: "OBJECT";
    name: "HubEvent";
    fields: {
      actor: { name: "actor"; type: { kind: "OBJECT"; name: "EventActor"; ofType: null } };
      correlationId: { name: "correlationId"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      data: {
        name: "data";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "JSONObject"; ofType: null } };
      };
      hubId: {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      metadata: {
        name: "metadata";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      position: {
        name: "position";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      recordedAt: {
        name: "recordedAt";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Float"; ofType: null } };
      };
      requestId: { name: "requestId"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      source: { name: "source"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      type: {
        name: "type";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      version: {
        name: "version";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
    };
  };
  HubEventConnection: {
    kind: "OBJECT";
    name: "HubEventConnection";
    fields: {
      edges: {
        name: "edges";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: {
            kind: "LIST";
            name: never;
            ofType: {
              kind: "NON_NULL";
              name: never;
              ofType: { kind: "OBJECT"; name: "HubEventEdge"; ofType: null };
            };
          };
        };
      };
      pageInfo: {
        name: "pageInfo";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "OBJECT"; name: "PageInfo"; ofType: null } };
      };
    };
  };
  HubEventEdge: {
    kind: "OBJECT";
    name: "HubEventEdge";
    fields: {
      cursor: {
        name: "cursor";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      node: {
        name: "node";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "OBJECT"; name: "HubEvent"; ofType: null } };
      };
    };
  };
  HubFilter: {
    kind: "INPUT_OBJECT";
    name: "HubFilter";
    isOneOf: false;
    inputFields: [
      { name: "isPrimary"; type: { kind: "SCALAR"; name: "Boolean"; ofType: null }; defaultValue: null },
      { name: "model"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      { name: "orgId"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      {
        name: "provisionedAt";
        type: { kind: "INPUT_OBJECT"; name: "TimeRange"; ofType: null };
        defaultValue: null;
      },
      { name: "serialPrefix"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      { name: "siteId"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      { name: "status"; type: { kind: "ENUM"; name: "HubStatus"; ofType: null }; defaultValue: null },
      { name: "vendorName"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
    ];
  };
  HubOfflineError: {
    kind: "OBJECT";
    name: "HubOfflineError";
    fields: {
      hubId: {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  HubOrder: {
    kind: "INPUT_OBJECT";
    name: "HubOrder";
    isOneOf: false;
    inputFields: [
      {
        name: "direction";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "ENUM"; name: "OrderDirection"; ofType: null };
        };
        defaultValue: null;
      },
      {
        name: "field";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "ENUM"; name: "HubOrderField"; ofType: null };
        };
        defaultValue: null;
      },
    ];
  };
  HubOrderField: { name: "HubOrderField"; enumValues: "PROVISIONED_AT" | "SERIAL" };
  HubProvisionedData: {
    kind: "OBJECT";
    name: "HubProvisionedData";
    fields: {
      hubId: {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      model: {
        name: "model";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      provisionedAt: {
        name: "provisionedAt";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Float"; ofType: null } };
      };
      serial: {
        name: "serial";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      thingName: {
        name: "thingName";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      vendorName: { name: "vendorName"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
    };
  };
  HubProvisionedEvent: {
    kind: "OBJECT";
    name: "HubProvisionedEvent";
    fields: {
      data: {
        name: "data";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "OBJECT"; name: "HubProvisionedData"; ofType: null };
        };
      };
      type: {
        name: "type";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  HubStatus: { name: "HubStatus"; enumValues: "Claimed" | "Decommissioned" | "Provisioned" | "Suspended" };
  ID: unknown;
  Int: unknown;
  JSONObject: unknown;
  Mutation: {
    kind: "OBJECT";
    name: "Mutation";
    fields: {
      claimHub: {
        name: "claimHub";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "ClaimHubResult"; ofType: null };
        };
      };
      decommissionHub: {
        name: "decommissionHub";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "DecommissionHubResult"; ofType: null };
        };
      };
      provisionHub: {
        name: "provisionHub";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "ProvisionHubResult"; ofType: null };
        };
      };
      provisionHubs: {
        name: "provisionHubs";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "OBJECT"; name: "ProvisionHubsPayload"; ofType: null };
        };
      };
      reClaimHub: {
        name: "reClaimHub";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "ReClaimHubResult"; ofType: null };
        };
      };
      resumeHub: {
        name: "resumeHub";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "ResumeHubResult"; ofType: null };
        };
      };
      setHubRole: {
        name: "setHubRole";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "SetHubRoleResult"; ofType: null };
        };
      };
      suspendHub: {
        name: "suspendHub";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "UNION"; name: "SuspendHubResult"; ofType: null };
        };
      };
    };
  };
  NotFoundError: {
    kind: "OBJECT";
    name: "NotFoundError";
    fields: {
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  OrderDirection: { name: "OrderDirection"; enumValues: "ASC" | "DESC" };
  PageInfo: {
    kind: "OBJECT";
    name: "PageInfo";
    fields: {
      endCursor: { name: "endCursor"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
      hasNextPage: {
        name: "hasNextPage";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Boolean"; ofType: null } };
      };
      hasPreviousPage: {
        name: "hasPreviousPage";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Boolean"; ofType: null } };
      };
      startCursor: { name: "startCursor"; type: { kind: "SCALAR"; name: "String"; ofType: null } };
    };
  };
  ProvisionHubInput: {
    kind: "INPUT_OBJECT";
    name: "ProvisionHubInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "model";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "serial";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      { name: "thingName"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      { name: "vendorName"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
    ];
  };
  ProvisionHubResult: {
    kind: "UNION";
    name: "ProvisionHubResult";
    fields: {};
    possibleTypes:
      | "ConflictError"
      | "ProvisionHubSuccess"
      | "ThingNotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  ProvisionHubSuccess: {
    kind: "OBJECT";
    name: "ProvisionHubSuccess";
    fields: {
      aggregateId: {
        name: "aggregateId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      event: { name: "event"; type: { kind: "OBJECT"; name: "HubProvisionedEvent"; ofType: null } };
      success: {
        name: "success";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Boolean"; ofType: null } };
      };
      version: {
        name: "version";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
    };
  };
  ProvisionHubsPayload: {
    kind: "OBJECT";
    name: "ProvisionHubsPayload";
    fields: {
      results: {
        name: "results";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: {
            kind: "LIST";
            name: never;
            ofType: { kind: "UNION"; name: "ProvisionHubResult"; ofType: null };
          };
        };
      };
      summary: {
        name: "summary";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "OBJECT"; name: "ProvisionHubsSummary"; ofType: null };
        };
      };
    };
  };
  ProvisionHubsSummary: {
    kind: "OBJECT";
    name: "ProvisionHubsSummary";
    fields: {
      created: {
        name: "created";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
      failed: {
        name: "failed";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
      unchanged: {
        name: "unchanged";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
    };
  };
  Query: {
    kind: "OBJECT";
    name: "Query";
    fields: {
      events: {
        name: "events";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "OBJECT"; name: "HubEventConnection"; ofType: null };
        };
      };
      hub: { name: "hub"; type: { kind: "OBJECT"; name: "Hub"; ofType: null } };
      hubBySerial: { name: "hubBySerial"; type: { kind: "OBJECT"; name: "Hub"; ofType: null } };
      hubs: {
        name: "hubs";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: { kind: "OBJECT"; name: "HubConnection"; ofType: null };
        };
      };
    };
  };
  ReClaimHubInput: {
    kind: "INPUT_OBJECT";
    name: "ReClaimHubInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "newOrgId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "newSiteId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "reason";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "userId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
    ];
  };
  ReClaimHubResult: {
    kind: "UNION";
    name: "ReClaimHubResult";
    fields: {};
    possibleTypes:
      | "CommandSuccess"
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  ResumeHubInput: {
    kind: "INPUT_OBJECT";
    name: "ResumeHubInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      { name: "reason"; type: { kind: "SCALAR"; name: "String"; ofType: null }; defaultValue: null },
      {
        name: "userId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
    ];
  };
  ResumeHubResult: {
    kind: "UNION";
    name: "ResumeHubResult";
    fields: {};
    possibleTypes:
      | "CommandSuccess"
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  SetHubRoleInput: {
    kind: "INPUT_OBJECT";
    name: "SetHubRoleInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "isPrimary";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Boolean"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "userId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
    ];
  };
  SetHubRoleResult: {
    kind: "UNION";
    name: "SetHubRoleResult";
    fields: {};
    possibleTypes:
      | "CommandSuccess"
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  String: unknown;
  SuspendHubInput: {
    kind: "INPUT_OBJECT";
    name: "SuspendHubInput";
    isOneOf: false;
    inputFields: [
      {
        name: "hubId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "reason";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
      {
        name: "userId";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
        defaultValue: null;
      },
    ];
  };
  SuspendHubResult: {
    kind: "UNION";
    name: "SuspendHubResult";
    fields: {};
    possibleTypes:
      | "CommandSuccess"
      | "ConflictError"
      | "HubOfflineError"
      | "NotFoundError"
      | "UnavailableError"
      | "ValidationError";
  };
  ThingNotFoundError: {
    kind: "OBJECT";
    name: "ThingNotFoundError";
    fields: {
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      thingName: {
        name: "thingName";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
  TimeRange: {
    kind: "INPUT_OBJECT";
    name: "TimeRange";
    isOneOf: false;
    inputFields: [
      { name: "from"; type: { kind: "SCALAR"; name: "Float"; ofType: null }; defaultValue: null },
      { name: "to"; type: { kind: "SCALAR"; name: "Float"; ofType: null }; defaultValue: null },
    ];
  };
  UnavailableError: {
    kind: "OBJECT";
    name: "UnavailableError";
    fields: {
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
      retryAfterSeconds: {
        name: "retryAfterSeconds";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "Int"; ofType: null } };
      };
    };
  };
  ValidationError: {
    kind: "OBJECT";
    name: "ValidationError";
    fields: {
      details: {
        name: "details";
        type: {
          kind: "NON_NULL";
          name: never;
          ofType: {
            kind: "LIST";
            name: never;
            ofType: {
              kind: "NON_NULL";
              name: never;
              ofType: { kind: "OBJECT"; name: "FieldError"; ofType: null };
            };
          };
        };
      };
      message: {
        name: "message";
        type: { kind: "NON_NULL"; name: never; ofType: { kind: "SCALAR"; name: "String"; ofType: null } };
      };
    };
  };
};

/** An IntrospectionQuery representation of your schema.
 *
 * @remarks
 * This is an introspection of your schema saved as a file by GraphQLSP.
 * It will automatically be used by `gql.tada` to infer the types of your GraphQL documents.
 * If you need to reuse this data or update your `scalars`, update `tadaOutputLocation` to
 * instead save to a .ts instead of a .d.ts file.
 */
export type introspection = {
  name: never;
  query: "Query";
  mutation: "Mutation";
  subscription: never;
  types: introspection_types;
};

import * as gqlTada from "gql.tada";

declare module "gql.tada" {
  interface setupSchema {
    introspection: introspection;
  }
}
