import {
  ConflictError,
  conflictReasons,
  ForbiddenError,
  HubOfflineError,
  NotFoundError,
  ShadowUpdateError,
  ThingNotFoundError,
  UnavailableError,
  ValidationError,
} from "@hub/shared";
import { builder } from "../builder.ts";

// Expected outcomes of mutations are data: each shared error class is also a GraphQL object type.
export const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  fields: (t) => ({ message: t.exposeString("message") }),
});

const FieldErrorRef = builder.objectRef<{ field: string; message: string }>("FieldError").implement({
  fields: (t) => ({ field: t.exposeString("field"), message: t.exposeString("message") }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    details: t.field({ type: [FieldErrorRef], resolve: (error) => [...error.details] }),
  }),
});

const ConflictReason = builder.enumType("ConflictReason", {
  description: "Why a command contradicts the hub's state",
  values: conflictReasons,
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.string({ nullable: true, resolve: (error) => error.field ?? null }),
    reason: t.field({ type: ConflictReason, nullable: true, resolve: (error) => error.reason ?? null }),
  }),
});

builder.objectType(ThingNotFoundError, {
  name: "ThingNotFoundError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ thingName: t.exposeString("thingName") }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "No such hub, webhook subscription, organization or API key (or one of another organization)",
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description:
    "The caller may not do this: it lacks the role or permission, or would grant a permission its own key lacks",
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(HubOfflineError, {
  name: "HubOfflineError",
  description: "The command needs the hub online (connected to AWS IoT) and it is not",
  interfaces: [ErrorInterface],
  fields: (t) => ({ hubId: t.exposeString("hubId") }),
});

builder.objectType(ShadowUpdateError, {
  name: "ShadowUpdateError",
  description:
    "Writing the command into the hub's Device Shadow failed (AWS IoT refused it or could not be reached); " +
    "nothing was sent",
  interfaces: [ErrorInterface],
  fields: (t) => ({ hubId: t.exposeString("hubId") }),
});

builder.objectType(UnavailableError, {
  name: "UnavailableError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ retryAfterSeconds: t.exposeInt("retryAfterSeconds") }),
});

export const provisionErrorTypes = [ValidationError, ConflictError, ThingNotFoundError, UnavailableError];
