import { type HubEventType, hubEventTypeNames } from "@hub/shared/vocabulary";
/** What a mutation answered, in words: its error member's message, and each field's problem. */
export type MutationProblem = { readonly text: string };

type ErrorLike = {
  readonly __typename: string;
  readonly message?: string;
  readonly details?: readonly { readonly field: string; readonly message: string }[];
};

/** The problem a union answer carries, or null when it is the success member `ok`. */
export function problemOf(answer: ErrorLike | null | undefined, ok: string): MutationProblem | null {
  if (!answer) return null;
  if (answer.__typename === ok) return null;
  const details = answer.details?.map((detail) => `${detail.field}: ${detail.message}`).join("; ");
  return { text: `${answer.message ?? "The request failed"}${details ? ` (${details})` : ""}` };
}

/** Rotation overlaps offered: how long the old key (or secret) keeps working. */
export const overlaps = [
  { seconds: 0, label: "None: the old one stops now" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 7 * 86_400, label: "7 days" },
] as const;

export const permissionLabels = {
  HUBS_READ: "hubs:read — read its hubs",
  HUBS_PROVISION: "hubs:provision — provision hubs",
  HUBS_MANAGE: "hubs:manage — claim and manage hubs",
  HUBS_DELETE: "hubs:delete — delete hubs",
  KEYS_MANAGE: "keys:manage — manage its keys",
  WEBHOOKS_MANAGE: "webhooks:manage — manage its webhooks",
} as const;

export type PermissionName = keyof typeof permissionLabels;

export const permissionNames = Object.keys(permissionLabels) as PermissionName[];

/** `HUBS_PROVISION` → `hubs:provision`, as the API's documentation names permissions. */
export function permissionText(permission: string): string {
  return permission.toLowerCase().replace("_", ":");
}

/** The event types a webhook subscription can choose, as the shared vocabulary lists them. */
export const eventTypes = hubEventTypeNames;

export type EventTypeName = HubEventType;

/** A duration in words, coarse: "3 min", "2 h", "5 days". */
export function ageText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
