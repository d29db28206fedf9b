import { lexicographicSortSchema } from "graphql";
import { builder } from "../builder.ts";
import "./errors.ts";
import "./hub.ts";

export const schema = lexicographicSortSchema(builder.toSchema());
