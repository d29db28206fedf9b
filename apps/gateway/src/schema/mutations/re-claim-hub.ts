import { builder } from "../../builder.ts";
import { lifecycleMutation } from "../lifecycle-mutation.ts";

const ReClaimHubInput = builder.inputType("ReClaimHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true }),
    newOrgId: t.string({ required: true }),
    newSiteId: t.string({ required: true }),
    reason: t.string({ required: true }),
    userId: t.string({ required: true }),
  }),
});

lifecycleMutation(
  "ReClaimHub",
  "reClaimHub",
  ReClaimHubInput,
  "Moves an online, claimed hub to another organization and site.",
);
