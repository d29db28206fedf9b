import { lifecycleMutation } from "../lifecycle-mutation.ts";

lifecycleMutation(
  "ClaimHub",
  "claimHub",
  "Claims an online hub into an organization and site (organizations: into themselves; admins and services name it).",
);
