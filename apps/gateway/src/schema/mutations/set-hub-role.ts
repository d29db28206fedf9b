import { lifecycleMutation } from "../lifecycle-mutation.ts";

lifecycleMutation(
  "SetHubRole",
  "setHubRole",
  "Makes an online, claimed hub its site's primary, or not (at most one primary per site).",
);
