import { lexicographicSortSchema } from "graphql";
import { builder } from "../builder.ts";
import "./errors.ts";
import "./hub.ts";
import "./hub-event.ts";
import "./live-feed.ts";
import "./mutations/provision-hub.ts";
import "./mutations/claim-hub.ts";
import "./mutations/re-claim-hub.ts";
import "./mutations/set-hub-role.ts";
import "./mutations/suspend-hub.ts";
import "./mutations/resume-hub.ts";
import "./mutations/decommission-hub.ts";
import "./webhooks.ts";

export const schema = lexicographicSortSchema(builder.toSchema());
