import { builder } from "../../builder.ts";
import { lifecycleMutation } from "../lifecycle-mutation.ts";

const ResumeHubInput = builder.inputType("ResumeHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true }),
    reason: t.string({ required: false }),
    userId: t.string({ required: true }),
  }),
});

lifecycleMutation(
  "ResumeHub",
  "resumeHub",
  ResumeHubInput,
  "Resumes a suspended hub (extension of the contract).",
);
