import {
  ForbiddenError,
  type HubView,
  type LifecycleCommandAction,
  NotFoundError,
  type Permission,
  type Principal,
  ValidationError,
} from "@hub/shared";

/**
 * Who may do what, decided here and nowhere else (the README's "Who may do what").
 * Each tRPC procedure names its action; one middleware applies `authorize` before the handler.
 *
 * - admins: everything; services: everything, acting for their users, except the reads across
 *   hubs (lists, by serial, the feed), which are the admin dashboard's: a service may make them
 *   calling hub-service for itself, not as an end caller forwarded by the gateway;
 * - organizations: by permission, and only on their own hubs. A hub belongs to the organization
 *   it is claimed into, until then to the one that provisioned it. Another organization's hub is
 *   "not found" (404), so its id is not disclosed. An organization changes only hubs claimed into
 *   it, except ClaimHub on an unclaimed hub (possession, shown by the hub being online, is proof);
 * - users (a plain JWT): no hub commands, no reads (403).
 */
export type Action =
  /** ProvisionHub. */
  | "hub.provision"
  /** One hub's state or history. */
  | "hub.read"
  /** Reads across hubs (lists, by serial, the global feed): admins, and services for themselves. */
  | "hubs.browse"
  /** A lifecycle command's, as its entry in the shared command list names it. */
  | LifecycleCommandAction
  /** Follow the event log (the live feed): an organization sees the events of its hubs only. */
  | "events.follow"
  /** Webhook subscriptions and their deliveries: an organization manages its own only. */
  | "webhooks.manage"
  /** Creating organizations: admins and services only. */
  | "organizations.manage"
  /** Reading organizations (id, name): an organization its own only. */
  | "organizations.read"
  /**
   * API keys (issue, list, rotate, revoke): an organization's key with keys:manage its own
   * organization's only, never granting more than the key itself holds (`authorizeKeyGrant`).
   */
  | "keys.manage"
  /**
   * Deleting a hub (its read model, or its whole stream): an admin token together with an API key
   * holding hubs:delete, both presented by the end caller; nobody else, not even a service.
   */
  | "hub.delete"
  /** Reading the audit trail: admins, and services for themselves. */
  | "audit.read";

const permissionFor: Record<Action, Permission | undefined> = {
  "hub.provision": "hubs:provision",
  "hub.read": "hubs:read",
  "hubs.browse": undefined,
  "hub.claim": "hubs:manage",
  "hub.reclaim": "hubs:manage",
  "hub.manage": "hubs:manage",
  "events.follow": "hubs:read",
  "webhooks.manage": "webhooks:manage",
  "organizations.manage": undefined,
  "organizations.read": undefined,
  "keys.manage": "keys:manage",
  "hub.delete": "hubs:delete",
  "audit.read": undefined,
};

/** Actions about the organization's own things, not about one hub. */
const organizationScoped: readonly Action[] = [
  "hub.provision",
  "hubs.browse",
  "events.follow",
  "webhooks.manage",
  "organizations.manage",
  "organizations.read",
  "keys.manage",
  "hub.delete",
  "audit.read",
];

/**
 * Whether deciding needs the hub's row (its owner): only for an organization, on an action about
 * one hub. Admins and services are decided without it, so their calls read nothing extra.
 */
export const needsHub = (action: Action, principal: Principal): boolean =>
  principal.kind === "organization" && !organizationScoped.includes(action);

/** The organization a hub belongs to now (see above), or undefined for none. */
export function ownerOf(hub: Pick<HubView, "orgId" | "provisionedByOrgId">): string | undefined {
  return hub.orgId ?? hub.provisionedByOrgId ?? undefined;
}

const notFound = () => new NotFoundError("Hub not found");

/**
 * Throws ForbiddenError or NotFoundError when `principal` may not do `action`; `hub` is the read
 * model's row for hub-scoped actions (null: no such hub, which the command itself then reports).
 */
export function authorize(
  action: Action,
  principal: Principal,
  hub: HubView | null | undefined,
  { forwarded }: { forwarded: boolean },
): void {
  if (action === "hub.delete") return authorizeDeletion(principal);
  if (principal.kind === "admin") return;
  const dashboardRead = action === "hubs.browse" || action === "audit.read";
  if (principal.kind === "service" && !(forwarded && dashboardRead)) return;
  const adminOnly = dashboardRead || action === "organizations.manage";
  if (principal.kind !== "organization" || adminOnly) {
    throw new ForbiddenError(adminOnly ? "The admin role is required" : "Users may not do this");
  }
  const permission = permissionFor[action];
  if (permission && !principal.permissions.includes(permission)) {
    throw new ForbiddenError(`This API key lacks the ${permission} permission`);
  }
  if (!hub || !needsHub(action, principal)) return;
  const own = principal.orgId;
  switch (action) {
    case "hub.read":
      if (ownerOf(hub) !== own) throw notFound();
      return;
    case "hub.claim":
      // Unclaimed: anyone holding the (online) hub may claim it; claimed: only its organization sees it.
      if (hub.orgId !== null && hub.orgId !== own) throw notFound();
      return;
    default:
      if (hub.orgId === own) return;
      if (ownerOf(hub) === own) {
        throw new ForbiddenError("An organization changes only hubs claimed into it");
      }
      throw notFound();
  }
}

/**
 * A hub deletion takes two credentials: an admin token and an API key whose own permissions hold
 * hubs:delete (a platform operator's key). A permission a token claims counts for nothing here.
 */
export function authorizeDeletion(principal: Principal): void {
  if (principal.kind !== "admin") {
    throw new ForbiddenError("Deleting a hub requires an admin token together with a hubs:delete API key");
  }
  if (!principal.apiKey?.permissions.includes("hubs:delete")) {
    throw new ForbiddenError("Deleting a hub requires an API key with the hubs:delete permission");
  }
}

/**
 * ClaimHub's organization: an organization claims into itself (omit `orgId` or send its own id;
 * another id is 403); admins and services name the organization.
 */
export function claimOrgId(principal: Principal, requested: string | undefined): string {
  if (principal.kind === "organization") {
    const own = principal.orgId ?? principal.id;
    if (requested !== undefined && requested.toLowerCase() !== own.toLowerCase()) {
      throw new ForbiddenError("An organization claims hubs into itself only");
    }
    return own;
  }
  if (requested === undefined) {
    throw new ValidationError("orgId is required when an admin or a service claims a hub", [
      { field: "orgId", message: "required" },
    ]);
  }
  return requested;
}

/**
 * The organization an already authorized caller is confined to for organization-scoped actions
 * (events.follow, webhooks.manage): its own for an organization, none (all) for admins and services.
 */
export function organizationScope(principal: Principal): string | undefined {
  return principal.kind === "organization" ? (principal.orgId ?? principal.id) : undefined;
}

/**
 * The organization whose webhooks a call manages: an organization its own (naming another is 403),
 * admins and services the one they name (undefined: every organization, for lists).
 */
export function webhookOrganization(principal: Principal, requested: string | undefined): string | undefined {
  const own = organizationScope(principal);
  if (own === undefined) return requested;
  if (requested !== undefined && requested.toLowerCase() !== own.toLowerCase()) {
    throw new ForbiddenError("An organization manages its own webhooks only");
  }
  return own;
}

/** A subscription (or its deliveries) of another organization is "not found" to an organization. */
export function authorizeSubscription(principal: Principal, subscriptionOrgId: string): void {
  const own = organizationScope(principal);
  if (own !== undefined && own.toLowerCase() !== subscriptionOrgId.toLowerCase()) {
    throw new NotFoundError("Webhook subscription not found");
  }
}

/**
 * The organization whose API keys (or whose record) a call is about: an organization's own only,
 * another one is "not found" (404), so its existence is not disclosed. Admins and services: any.
 */
export function authorizeOrganization(principal: Principal, orgId: string): void {
  const own = organizationScope(principal);
  if (own !== undefined && own.toLowerCase() !== orgId.toLowerCase()) {
    throw new NotFoundError("Organization not found");
  }
}

/** An API key of another organization is "not found" to an organization. */
export function authorizeApiKey(principal: Principal, keyOrgId: string): void {
  const own = organizationScope(principal);
  if (own !== undefined && own.toLowerCase() !== keyOrgId.toLowerCase()) {
    throw new NotFoundError("API key not found");
  }
}

/**
 * A key issued (or rotated) by an organization carries no permission the caller's own key lacks
 * (403): keys:manage cannot be a way to more power. Admins and services grant anything.
 */
export function authorizeKeyGrant(principal: Principal, requested: readonly Permission[]): void {
  if (principal.kind !== "organization") return;
  const held = principal.apiKey?.permissions ?? [];
  const missing = requested.filter((permission) => !held.includes(permission));
  if (missing.length > 0) {
    throw new ForbiddenError(
      `An API key cannot grant permissions its holder lacks: ${[...new Set(missing)].join(", ")}`,
    );
  }
}
