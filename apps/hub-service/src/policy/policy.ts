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
  | "webhooks.manage";

const permissionFor: Record<Action, Permission | undefined> = {
  "hub.provision": "hubs:provision",
  "hub.read": "hubs:read",
  "hubs.browse": undefined,
  "hub.claim": "hubs:manage",
  "hub.reclaim": "hubs:manage",
  "hub.manage": "hubs:manage",
  "events.follow": "hubs:read",
  "webhooks.manage": "webhooks:manage",
};

/** Actions about the organization's own things, not about one hub. */
const organizationScoped: readonly Action[] = [
  "hub.provision",
  "hubs.browse",
  "events.follow",
  "webhooks.manage",
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
  if (principal.kind === "admin") return;
  if (principal.kind === "service" && !(forwarded && action === "hubs.browse")) return;
  if (principal.kind !== "organization" || action === "hubs.browse") {
    throw new ForbiddenError(
      action === "hubs.browse" ? "The admin role is required" : "Users may not do this",
    );
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
