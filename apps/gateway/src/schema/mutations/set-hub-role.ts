import { builder } from "../../builder.ts";
import { lifecycleMutation } from "../lifecycle-mutation.ts";

const SetHubRoleInput = builder.inputType("SetHubRoleInput", {
  fields: (t) => ({
    hubId: t.string({ required: true }),
    isPrimary: t.boolean({ required: true }),
    userId: t.string({ required: true, description: "The user setting the role (UUID)" }),
  }),
});

lifecycleMutation(
  "SetHubRole",
  "setHubRole",
  SetHubRoleInput,
  "Makes an online, claimed hub its site's primary, or not.",
);
