import { lifecycleMutation } from "../lifecycle-mutation.ts";

lifecycleMutation(
  "ReClaimHub",
  "reClaimHub",
  "Moves an online, claimed hub to another organization and site; clears its primary role.",
);
