import { builder } from "../../builder.ts";
import { lifecycleMutation } from "../lifecycle-mutation.ts";

const DecommissionHubInput = builder.inputType("DecommissionHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true }),
    reason: t.string({ required: true }),
    userId: t.string({ required: true }),
  }),
});

lifecycleMutation(
  "DecommissionHub",
  "decommissionHub",
  DecommissionHubInput,
  "Decommissions a hub for good (extension of the contract).",
);
