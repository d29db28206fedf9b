import { lifecycleMutation } from "../lifecycle-mutation.ts";

lifecycleMutation(
  "DecommissionHub",
  "decommissionHub",
  "Decommissions a hub for good; frees its site's primary slot (extension of the contract).",
);
