import { lexicographicSortSchema } from "graphql";
import { builder } from "../builder.ts";
import "./errors.ts";
import "./organizations.ts";
import "./organization-hub-count.ts";
import "./hub-deletion.ts";
import "./hub.ts";
import "./hub-event.ts";
import "./live-feed.ts";
import "./mutations/provision-hub.ts";
import "./lifecycle-mutation.ts";
import "./webhooks.ts";
import "./overview.ts";

export const schema = lexicographicSortSchema(builder.toSchema());
