import { builder } from "../../builder.ts";
import { lifecycleMutation } from "../lifecycle-mutation.ts";

const SuspendHubInput = builder.inputType("SuspendHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true }),
    reason: t.string({ required: true }),
    userId: t.string({ required: true }),
  }),
});

lifecycleMutation(
  "SuspendHub",
  "suspendHub",
  SuspendHubInput,
  "Suspends a hub (lost or stolen); it need not be online.",
);
