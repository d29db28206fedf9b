import { builder } from "../../builder.ts";
import { lifecycleMutation } from "../lifecycle-mutation.ts";

const ClaimHubInput = builder.inputType("ClaimHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true }),
    orgId: t.string({
      required: false,
      description: "Omit to claim into your own organization (admins: required)",
    }),
    siteId: t.string({ required: true }),
    userId: t.string({ required: true, description: "The user claiming the hub" }),
  }),
});

lifecycleMutation(
  "ClaimHub",
  "claimHub",
  ClaimHubInput,
  "Claims an online hub into an organization and site.",
);
